import { buildIndex, formatPlatform, type Image, isImageIndex } from '@kaniko-ts/oci';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { repositoryOf } from '../internal/repository-of.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import type { indexSpec } from './spec.js';

/** What the step asks of the registry layer: fetch each source manifest, push one index. */
export interface IndexRequest {
  /** repo@sha256:… per platform. */
  sources: string[];
  destinations: string[];
  annotations: Record<string, string>;
  registry: RegistryOptions;
}

export interface IndexResult {
  digest: string;
  /** Platforms in manifest order, os/arch[/variant]. */
  platforms: string[];
  /** The pushed index manifest. */
  manifest: unknown;
}

/**
 * Pulls each per-platform manifest, checks that no platform repeats, builds one OCI index (children
 * keep their digests) and pushes it to every destination; returns the index digest.
 */
export async function pushIndex(ctx: StepContext, request: IndexRequest): Promise<IndexResult> {
  const client = createRegistryClient(request.registry, request.destinations);
  try {
    const images: Image[] = [];
    for (const source of request.sources) {
      const pulled = await client.pull(source);
      if (isImageIndex(pulled)) {
        throw new StepsError(
          'INVALID_INPUT',
          `merging ${source}: it is an index; give per-platform image digests`,
        );
      }
      images.push(pulled);
    }
    const index = buildIndex(
      images,
      Object.keys(request.annotations).length ? { annotations: request.annotations } : {},
    );
    const manifest = await index.manifest();
    const platforms = manifest.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'));
    const seen = new Map<string, string>();
    platforms.forEach((p, i) => {
      const earlier = seen.get(p);
      if (earlier !== undefined) {
        throw new StepsError(
          'INVALID_INPUT',
          `merging sources: ${earlier} and ${request.sources[i]} are both ${p}`,
        );
      }
      seen.set(p, request.sources[i] ?? '');
    });
    let digest = '';
    for (const destination of request.destinations) {
      digest = await client.pushIndex(destination, index);
      ctx.log.info(`pushed ${destination}@${digest}`);
    }
    return { digest, platforms, manifest };
  } finally {
    await client.close();
  }
}

export function toIndexRequest(ctx: StepContext, inputs: InferInputs<typeof indexSpec>): IndexRequest {
  const bad = inputs.sources.filter((s) => !/@sha256:[a-f0-9]{64}$/.test(s));
  if (bad.length > 0) {
    throw new StepsError(
      'INVALID_INPUT',
      `parsing sources of index: not pinned by digest: ${bad.join(', ')}`,
    );
  }
  const annotations: Record<string, string> = {};
  for (const a of inputs.annotations) {
    const i = a.indexOf('=');
    if (i > 0) annotations[a.slice(0, i)] = a.slice(i + 1);
  }
  return {
    sources: inputs.sources,
    destinations: inputs.tags,
    annotations,
    registry: toRegistryOptions(inputs, ctx.env),
  };
}

export async function runIndex(
  ctx: StepContext,
  inputs: InferInputs<typeof indexSpec>,
): Promise<InferOutputs<typeof indexSpec>> {
  const request = toIndexRequest(ctx, inputs);
  const result = await ctx.group('index', () => pushIndex(ctx, request));
  const image = repositoryOf(inputs.tags[0] ?? '');
  ctx.addSummary({
    title: 'Multi-arch index',
    rows: [
      ['image', image],
      ['digest', result.digest],
      ['platforms', result.platforms.join(', ')],
      ['tags', inputs.tags.join(', ')],
    ],
  });
  return {
    image,
    digest: result.digest,
    'image-ref': `${image}@${result.digest}`,
    platforms: result.platforms.join(','),
    metadata: JSON.stringify(result.manifest),
  };
}

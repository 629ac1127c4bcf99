import { repositoryOf } from '../build/run.js';
import { notAvailable } from '../internal/not-available.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
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

/** Binding; to be implemented on @kaniko-ts/registry + @kaniko-ts/oci when they land. */
export async function callPushIndex(_request: IndexRequest): Promise<IndexResult> {
  return notAvailable('index');
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
  const result = await ctx.group('index', () => callPushIndex(request));
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

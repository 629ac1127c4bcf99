import { isAbsolute, resolve } from 'node:path';
import { runAttestSbom } from '../attest-sbom/run.js';
import { attestSbomSpec } from '../attest-sbom/spec.js';
import { notAvailable } from '../internal/not-available.js';
import { pickInputs } from '../internal/pick-inputs.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { runSign } from '../sign/run.js';
import { signSpec } from '../sign/spec.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { buildSpec } from './spec.js';

/** What the step asks of `@kaniko-ts/builder`'s `build` (paths absolute, lists parsed). */
export interface BuildRequest {
  context: string;
  contextSubPath?: string;
  dockerfile?: string;
  destinations: string[];
  push: boolean;
  noPushCache: boolean;
  tarPath?: string;
  ociLayoutPath?: string;
  buildArgs: Record<string, string | undefined>;
  target?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  platform?: string;
  reproducible: boolean;
  imageFormat: 'oci' | 'docker';
  compression: 'gzip' | 'zstd';
  compressionLevel?: number;
  cache: {
    enabled: boolean;
    repo?: string;
    dir?: string;
    ttl: string;
    copyLayers: boolean;
    runLayers: boolean;
  };
  snapshotMode: 'full' | 'redo' | 'time';
  singleSnapshot: boolean;
  ignorePaths: string[];
  digestFile?: string;
  imageNameWithDigestFile?: string;
  imageNameTagWithDigestFile?: string;
  skipPushPermissionCheck: boolean;
  pushRetry: number;
  imageDownloadRetry: number;
  dryRun: boolean;
  /** id → source, from `id=ID,src=PATH` or `id=ID,env=VAR`. */
  secrets: Record<string, { src: string } | { env: string }>;
  registry: RegistryOptions;
}

/** One layer of the result, for the summary. */
export interface BuildLayer {
  digest: string;
  size: number;
  instruction: string;
  cached: boolean;
  durationMs: number;
}

/** What `build` hands back. */
export interface BuildResult {
  /** Manifest digest. */
  digest: string;
  /** Config digest. */
  configDigest: string;
  platform: string;
  /** References pushed (empty when not pushing). */
  references: string[];
  size: number;
  layers: BuildLayer[];
  /** Dockerfile diagnostics, turned into annotations on GitHub. */
  warnings: { file: string; line: number; column?: number; message: string }[];
  durationMs: number;
}

/** Binding to the library; replaced by `build` from @kaniko-ts/builder at integration. */
export async function callBuild(_request: BuildRequest, _ctx: StepContext): Promise<BuildResult> {
  return notAvailable('build');
}

function keyValues(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** `KEY=value` → value, `KEY` alone → taken from the environment (kaniko's rule). */
function buildArgs(
  items: string[],
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i < 0) out[item] = env[item];
    else out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function secrets(items: string[]): BuildRequest['secrets'] {
  const out: BuildRequest['secrets'] = {};
  for (const item of items) {
    const fields = keyValues(item.split(','));
    const id = fields.id;
    if (id === undefined) continue;
    if (fields.env !== undefined) out[id] = { env: fields.env };
    else out[id] = { src: fields.src ?? fields.source ?? id };
  }
  return out;
}

/** Repository part of a reference (drops tag and digest). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0] ?? ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Maps inputs to the library request: paths made absolute against the workspace, lists parsed. */
export function toBuildRequest(ctx: StepContext, inputs: InferInputs<typeof buildSpec>): BuildRequest {
  const at = (p: string) => (isAbsolute(p) || /^[a-z]+:\/\//.test(p) ? p : resolve(ctx.workspace, p));
  const opt = <T>(v: T | undefined | '', f: (v: T) => T = (x) => x): T | undefined =>
    v === undefined || v === '' ? undefined : f(v);
  const context = at(inputs.context);
  const request: BuildRequest = {
    context,
    destinations: inputs.tags,
    push: inputs.push,
    noPushCache: inputs['no-push-cache'],
    buildArgs: buildArgs(inputs['build-args'], ctx.env),
    labels: keyValues(inputs.labels),
    annotations: keyValues(inputs.annotations),
    reproducible: inputs.reproducible,
    imageFormat: inputs['image-format'],
    compression: inputs.compression,
    cache: {
      enabled: inputs.cache,
      ttl: inputs['cache-ttl'],
      copyLayers: inputs['cache-copy-layers'],
      runLayers: inputs['cache-run-layers'],
    },
    snapshotMode: inputs['snapshot-mode'],
    singleSnapshot: inputs['single-snapshot'],
    ignorePaths: inputs['ignore-path'],
    skipPushPermissionCheck: inputs['skip-push-permission-check'],
    pushRetry: inputs['push-retry'],
    imageDownloadRetry: inputs['image-download-retry'],
    dryRun: inputs['dry-run'],
    secrets: secrets(inputs.secrets),
    registry: toRegistryOptions(inputs, ctx.env),
  };
  const set = <K extends keyof BuildRequest>(k: K, v: BuildRequest[K] | undefined) => {
    if (v !== undefined) request[k] = v;
  };
  set('contextSubPath', opt(inputs['context-sub-path']));
  set(
    'dockerfile',
    opt(inputs.file, (f) => (/^https?:\/\//.test(f) ? f : at(f))),
  );
  set('tarPath', opt(inputs['tar-path'], at));
  set('ociLayoutPath', opt(inputs['oci-layout-path'], at));
  set('target', opt(inputs.target));
  set('platform', opt(inputs.platform));
  set('compressionLevel', inputs['compression-level']);
  set('digestFile', opt(inputs['digest-file'], at));
  set('imageNameWithDigestFile', opt(inputs['image-name-with-digest-file'], at));
  set('imageNameTagWithDigestFile', opt(inputs['image-name-tag-with-digest-file'], at));
  const repo = opt(inputs['cache-repo']);
  if (repo !== undefined) request.cache.repo = repo;
  const dir = opt(inputs['cache-dir'], at);
  if (dir !== undefined) request.cache.dir = dir;
  return request;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Turns the build result into outputs, warnings and a summary. */
export function buildOutputs(
  ctx: StepContext,
  inputs: InferInputs<typeof buildSpec>,
  result: BuildResult,
): InferOutputs<typeof buildSpec> {
  for (const w of result.warnings) ctx.log.warn(w.message, { file: w.file, line: w.line, column: w.column });
  const first = inputs.tags[0];
  const image = first === undefined ? '' : repositoryOf(first);
  const imageRef = image === '' ? '' : `${image}@${result.digest}`;
  const hits = result.layers.filter((l) => l.cached).length;
  ctx.addSummary({
    title: 'Image',
    rows: [
      ['image', image],
      ['digest', result.digest],
      ['tags', result.references.join(', ')],
      ['platform', result.platform],
      ['size', formatBytes(result.size)],
      ['layers', `${result.layers.length} (${hits} from cache)`],
      ['build time', `${(result.durationMs / 1000).toFixed(1)} s`],
      ...result.layers.map((l): [string, string] => [
        l.instruction,
        `${formatBytes(l.size)}, ${(l.durationMs / 1000).toFixed(2)} s${l.cached ? ', cached' : ''}`,
      ]),
    ],
  });
  return {
    image,
    digest: result.digest,
    imageid: result.configDigest,
    'image-ref': imageRef,
    tags: result.references.join('\n'),
    platform: result.platform,
    metadata: JSON.stringify({
      'containerimage.digest': result.digest,
      'containerimage.config.digest': result.configDigest,
      'image.name': result.references.join(','),
      platform: result.platform,
      size: result.size,
      layers: result.layers,
      durationMs: result.durationMs,
    }),
    'signature-ref': '',
    'attestation-ref': '',
  };
}

/** The build step's run: build, then (when asked) the sign and attest-sbom steps' own code. */
export async function runBuild(
  ctx: StepContext,
  inputs: InferInputs<typeof buildSpec>,
): Promise<InferOutputs<typeof buildSpec>> {
  const request = toBuildRequest(ctx, inputs);
  const result = await ctx.group('build', () => callBuild(request, ctx));
  const outputs = buildOutputs(ctx, inputs, result);
  const pushed = inputs.push && !inputs['dry-run'] && outputs['image-ref'] !== '';
  if (inputs.sign && pushed) {
    const signed = await runSign(
      ctx,
      pickInputs(signSpec, inputs, { image: outputs['image-ref'], annotations: [] }),
    );
    outputs['signature-ref'] = signed['signature-ref'];
  }
  if (inputs.sbom && pushed) {
    const attested = await runAttestSbom(
      ctx,
      pickInputs(attestSbomSpec, inputs, {
        image: outputs['image-ref'],
        predicate: undefined,
        'output-file': undefined,
      }),
    );
    outputs['attestation-ref'] = attested['attestation-ref'];
  }
  if ((inputs.sign || inputs.sbom) && !pushed) ctx.log.warn('sign and sbom need a pushed image: skipped');
  return outputs;
}

import { isAbsolute, resolve } from 'node:path';
import { type BuildOptions, build } from '@kaniko-ts/builder';
import type { InventoryWithWarnings } from '@kaniko-ts/sbom';
import { buildProvenancePredicate } from '../attest/provenance.js';
import { attestPredicate } from '../attest/run.js';
import { attestSpec } from '../attest/spec.js';
import { startBuildSbom } from '../attest-sbom/build-sbom.js';
import { runAttestSbom } from '../attest-sbom/run.js';
import { attestSbomSpec } from '../attest-sbom/spec.js';
import { pickInputs } from '../internal/pick-inputs.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { repositoryOf } from '../internal/repository-of.js';
import { runSign } from '../sign/run.js';
import { signSpec } from '../sign/spec.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import { progressEvents } from './progress-events.js';
import type { buildSpec } from './spec.js';

/** What the step asks of `@kaniko-ts/builder`'s `build` (paths absolute, lists parsed). */
export interface BuildRequest {
  /** Catalogue the image from the layers the build streams (the sbom input). */
  catalog?: boolean;
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
  /** RUN executor (`in-place` = kaniko mode) and `--force` (in place outside a container). */
  executor: 'auto' | 'chroot' | 'in-place';
  force: boolean;
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

/** One instruction of the build, for the summary. */
export interface BuildInstruction {
  text: string;
  line: number;
  durationMs: number;
  /** Whether it produced a layer. */
  layer: boolean;
  cached: boolean;
}

/** What the build step reports (from the builder's outcome). */
export interface BuildResult {
  /** Manifest digest ('' for a dry run). */
  digest: string;
  /** Config digest. */
  configDigest: string;
  platform: string;
  /** `repo@digest` per pushed destination (empty when not pushing). */
  references: string[];
  size: number;
  instructions: BuildInstruction[];
  /** Dockerfile diagnostics, turned into annotations on GitHub. */
  warnings: { file: string; line: number; column?: number; message: string }[];
  durationMs: number;
  /** The printed plan of a dry run. */
  plan?: string;
  /** Base image reference → manifest digest. */
  baseImages?: Record<string, string>;
  /** Inventory taken while building (when `catalog`). */
  inventory?: InventoryWithWarnings;
}

/** Go-style durations as kaniko's --cache-ttl takes them (`336h`, `90m`, `1h30m`); undefined when empty. */
export function durationMs(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let matched = '';
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    matched += m[0];
  }
  if (matched !== text.trim())
    throw new StepsError('INVALID_INPUT', `cache-ttl: ${JSON.stringify(text)} is not a duration like 336h`);
  return total;
}

/** The one library call: `build` from @kaniko-ts/builder. */
export async function callBuild(request: BuildRequest, ctx: StepContext): Promise<BuildResult> {
  const registry = createRegistryClient(request.registry, request.destinations);
  const sbom = request.catalog ? await startBuildSbom(registry, ctx.tempDir) : undefined;
  const cached = new Map<string, boolean>();
  const secrets: Record<string, { file: string } | { value: string }> = {};
  for (const [id, source] of Object.entries(request.secrets)) {
    if ('src' in source)
      secrets[id] = { file: isAbsolute(source.src) ? source.src : resolve(ctx.workspace, source.src) };
    else {
      const value = ctx.env[source.env];
      if (value === undefined)
        throw new StepsError('INVALID_INPUT', `reading secret ${id}: $${source.env} is not set`);
      ctx.maskSecret(value);
      secrets[id] = { value };
    }
  }
  const options: BuildOptions = {
    context: request.context,
    destinations: request.destinations,
    push: request.push,
    buildArgs: request.buildArgs,
    labels: request.labels,
    reproducible: request.reproducible,
    compression: request.compression,
    noPushCache: request.noPushCache,
    skipPushPermissionCheck: request.skipPushPermissionCheck,
    dryRun: request.dryRun,
    annotations: request.annotations,
    imageFormat: request.imageFormat,
    snapshotMode: request.snapshotMode,
    singleSnapshot: request.singleSnapshot,
    ignorePaths: request.ignorePaths,
    executor: request.executor,
    force: request.force,
    env: ctx.env,
    // an in-place build leaves the step's own files alone (workspace, temp dir, registry credentials)
    keepPaths: [ctx.workspace, ctx.tempDir, ...(ctx.env.DOCKER_CONFIG ? [ctx.env.DOCKER_CONFIG] : [])],
    secrets,
    registry: sbom?.registry ?? registry,
    now: () => ctx.clock.now(),
    events: progressEvents(ctx, cached),
  };
  const optional = {
    contextSubPath: request.contextSubPath,
    dockerfile: request.dockerfile,
    tarPath: request.tarPath,
    ociLayoutPath: request.ociLayoutPath,
    target: request.target,
    platform: request.platform,
    digestFile: request.digestFile,
    imageNameWithDigestFile: request.imageNameWithDigestFile,
    imageNameTagWithDigestFile: request.imageNameTagWithDigestFile,
    cacheDir: request.cache.enabled ? request.cache.dir : undefined,
    cache: request.cache.enabled || undefined,
    cacheRepo: request.cache.enabled ? request.cache.repo : undefined,
    cacheTtlMs: request.cache.enabled ? durationMs(request.cache.ttl) : undefined,
    compressionLevel: request.compressionLevel,
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (options as unknown as Record<string, unknown>)[k] = v;
  if (sbom) options.workDir = sbom.workDir;
  try {
    const outcome = await build(options);
    const inventory =
      sbom && outcome.image && outcome.digest
        ? await sbom.inventory(
            outcome.image,
            `${repositoryOf(request.destinations[0] ?? '')}@${outcome.digest}`,
          )
        : undefined;
    if (inventory) {
      ctx.log.debug(
        `sbom: ${inventory.recorded} layers catalogued as the build read them, ${inventory.reread} read again`,
      );
      for (const note of inventory.notes) ctx.log.debug(`sbom: ${note}`);
    }
    if (outcome.plan !== undefined) ctx.log.info(outcome.plan);
    return {
      digest: outcome.digest ?? '',
      configDigest: outcome.configDigest ?? '',
      platform: outcome.platform,
      references: outcome.pushed,
      size: outcome.size,
      instructions: outcome.timings.map((t) => ({
        text: t.text,
        line: t.line,
        durationMs: t.durationMs,
        layer: t.layer,
        cached: cached.get(`${t.stage}:${t.line}`) ?? false,
      })),
      warnings: outcome.warnings.map((w) => ({
        file: isAbsolute(w.file) ? w.file : resolve(request.context, w.file),
        line: w.line,
        ...(w.column !== undefined ? { column: w.column } : {}),
        message: `${w.rule}: ${w.message}`,
      })),
      durationMs: outcome.durationMs,
      ...(outcome.plan !== undefined ? { plan: outcome.plan } : {}),
      baseImages: outcome.baseImages,
      ...(inventory ? { inventory } : {}),
    };
  } finally {
    await sbom?.dispose();
    await registry.close();
  }
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

/**
 * kaniko's `KANIKO_NO_PUSH`: when set to a boolean (Go's ParseBool spellings) it decides, whatever
 * --no-push says; any other value is reported and ignored (kaniko drops its own error and pushes).
 */
function pushWanted(push: boolean, ctx: StepContext): boolean {
  const value = ctx.env.KANIKO_NO_PUSH;
  if (value === undefined) return push;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return false;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return true;
  ctx.log.warn(`KANIKO_NO_PUSH=${JSON.stringify(value)} is not true or false: ignored`);
  return push;
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
    push: pushWanted(inputs.push, ctx),
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
    executor: inputs.executor,
    force: inputs.force,
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
  const imageRef = image === '' || result.digest === '' ? '' : `${image}@${result.digest}`;
  const layers = result.instructions.filter((i) => i.layer);
  const hits = result.instructions.filter((i) => i.cached).length;
  ctx.addSummary({
    title: 'Image',
    rows: [
      ['image', image],
      ['digest', result.digest],
      ['tags', result.references.join(', ')],
      ['platform', result.platform],
      ['size', formatBytes(result.size)],
      ['layers', `${layers.length} (${hits} instructions from cache)`],
      ['build time', `${(result.durationMs / 1000).toFixed(1)} s`],
      ...result.instructions.map((i): [string, string] => [
        `${i.line}: ${i.text}`,
        `${(i.durationMs / 1000).toFixed(2)} s${i.cached ? ', cached' : ''}`,
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
      instructions: result.instructions,
      durationMs: result.durationMs,
    }),
    'signature-ref': '',
    'attestation-ref': '',
    'provenance-ref': '',
    'sbom-path': '',
  };
}

/** The build step's run: build, then (when asked) the sign and attest-sbom steps' own code. */
export async function runBuild(
  ctx: StepContext,
  inputs: InferInputs<typeof buildSpec>,
  /** The library call; adapters may run it elsewhere (the GitHub action runs it as root through sudo). */
  call: (request: BuildRequest, ctx: StepContext) => Promise<BuildResult> = callBuild,
): Promise<InferOutputs<typeof buildSpec>> {
  const request = toBuildRequest(ctx, inputs);
  request.catalog = inputs.sbom && request.push && !inputs['dry-run'];
  const startedOn = ctx.clock.now();
  const result = await ctx.group('build', () => call(request, ctx));
  const finishedOn = ctx.clock.now();
  const outputs = buildOutputs(ctx, inputs, result);
  const pushed = request.push && !inputs['dry-run'] && outputs['image-ref'] !== '';
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
      result.inventory,
    );
    outputs['attestation-ref'] = attested['attestation-ref'];
    outputs['sbom-path'] = attested['sbom-path'];
  }
  if (inputs.provenance && pushed) {
    const predicate = await buildProvenancePredicate({
      subjects: [{ name: outputs.image, digest: result.digest }],
      context: request.context,
      ...(request.contextSubPath !== undefined ? { contextSubPath: request.contextSubPath } : {}),
      ...(request.dockerfile !== undefined ? { dockerfile: request.dockerfile } : {}),
      buildArgs: request.buildArgs,
      // A bare `KEY` build arg takes its value from the environment: never recorded (often a token).
      secretNames: inputs['build-args'].filter((a) => !a.includes('=')),
      ...(request.target !== undefined ? { target: request.target } : {}),
      platform: result.platform,
      baseImages: result.baseImages ?? {},
      startedOn,
      finishedOn,
      env: ctx.env,
    });
    const attested = await ctx.group(`attest provenance of ${outputs['image-ref']}`, () =>
      attestPredicate(
        ctx,
        pickInputs(attestSpec, inputs, {
          image: outputs['image-ref'],
          type: 'slsa',
          predicate: undefined,
          context: undefined,
          dockerfile: undefined,
        }),
        predicate,
      ),
    );
    outputs['provenance-ref'] = attested['attestation-ref'];
  }
  if ((inputs.sign || inputs.sbom) && !pushed) ctx.log.warn('sign and sbom need a pushed image: skipped');
  if (inputs.provenance && !pushed) ctx.log.warn('provenance needs a pushed image: skipped');
  return outputs;
}

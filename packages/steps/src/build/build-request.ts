import { isAbsolute, resolve } from 'node:path';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs } from '../step-spec.js';
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

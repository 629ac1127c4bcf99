import { isAbsolute, join, resolve } from 'node:path';
import { type BuildOptions, build } from '@kaniko-ts/builder';
import { createRegistryClient } from '../internal/registry-client.js';
import { repositoryOf } from '../internal/repository-of.js';
import type { StepContext } from '../step-context.js';
import { StepsError } from '../steps-error.js';
import type { BuildRequest } from './build-request.js';
import type { BuildResult } from './build-result.js';
import { progressEvents } from './progress-events.js';

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
  // with a local cache dir, base image configs (and manifests by digest) are kept in `<dir>/registry`
  const cacheDir = request.cache.enabled ? request.cache.dir : undefined;
  const registry = createRegistryClient(
    request.registry,
    request.destinations,
    cacheDir === undefined || /^[a-z]+:\/\//.test(cacheDir) ? undefined : join(cacheDir, 'registry'),
  );
  const sbom = request.catalog
    ? await (await import('../attest-sbom/build-sbom.js')).startBuildSbom(registry, ctx.tempDir)
    : undefined;
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
    cacheDir,
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

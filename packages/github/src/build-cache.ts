import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { StepContext } from '@kaniko-ts/steps';

/** The slice of @actions/cache the build step uses (injectable for tests). */
export interface CacheApi {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], key: string, restoreKeys?: string[]): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

export interface CacheKeys {
  key: string;
  restoreKeys: string[];
}

/** sha256 over every file's relative path and contents, in sorted order (symlinks by target). */
export async function contextDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isDirectory()) {
        if (e.name === '.git') continue;
        hash.update(`d ${rel}\0`);
        await walk(p);
      } else if (e.isFile()) {
        hash.update(`f ${rel}\0`);
        hash.update(await readFile(p));
      } else if (e.isSymbolicLink()) {
        hash.update(`l ${rel}\0`);
      }
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

/**
 * Cache keys for the local layer cache: exact hit when Dockerfile and context are unchanged, else
 * the newest entry for the same Dockerfile, else any entry for the platform.
 */
export async function buildCacheKeys(options: {
  context: string;
  dockerfile: string;
  platform: string;
}): Promise<CacheKeys> {
  const dockerfile = createHash('sha256')
    .update(await readFile(options.dockerfile))
    .digest('hex')
    .slice(0, 16);
  const context = (await contextDigest(options.context)).slice(0, 16);
  const prefix = `kaniko-ts-${options.platform.replace(/\//g, '-')}-`;
  return { key: `${prefix}${dockerfile}-${context}`, restoreKeys: [`${prefix}${dockerfile}-`, prefix] };
}

/** Build inputs the cache hooks read and adjust. */
interface CacheInputs {
  cache: boolean;
  'cache-repo'?: string | undefined;
  'cache-dir'?: string | undefined;
  context: string;
  file?: string | undefined;
  platform?: string | undefined;
}

/**
 * Restores the build's local layer cache before the build and saves it after, with @actions/cache.
 * Cache trouble never fails a build: it is reported as a warning (docker's gha cache lesson).
 */
export function actionsBuildCache(api: CacheApi, runnerPlatform: string) {
  let state: { dir: string; keys: CacheKeys; hit: string | undefined } | undefined;
  return {
    async before(ctx: StepContext, inputs: Record<string, unknown>): Promise<void> {
      const i = inputs as unknown as CacheInputs;
      if (!i.cache || (i['cache-repo'] ?? '') !== '') return;
      if (!api.isFeatureAvailable()) {
        ctx.log.info('layer cache: the Actions cache service is not available here; building without it');
        return;
      }
      const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.workspace, p));
      const dir = at(i['cache-dir'] || join(ctx.env.RUNNER_TEMP ?? ctx.tempDir, 'kaniko-ts-cache'));
      inputs['cache-dir'] = dir;
      const context = at(i.context);
      const dockerfile = at(i.file || join(i.context, 'Dockerfile'));
      if (!existsSync(dockerfile) || !existsSync(context)) return;
      try {
        const keys = await buildCacheKeys({ context, dockerfile, platform: i.platform || runnerPlatform });
        const hit = await api.restoreCache([dir], keys.key, keys.restoreKeys);
        ctx.log.info(hit ? `layer cache: restored ${hit}` : `layer cache: no entry for ${keys.key}`);
        state = { dir, keys, hit };
      } catch (error) {
        ctx.log.warn(`layer cache: restore failed, building without it: ${(error as Error).message}`);
      }
    },
    async after(ctx: StepContext): Promise<void> {
      if (state === undefined || state.hit === state.keys.key) return;
      try {
        await api.saveCache([state.dir], state.keys.key);
        ctx.log.info(`layer cache: saved ${state.keys.key}`);
      } catch (error) {
        ctx.log.warn(`layer cache: save failed: ${(error as Error).message}`);
      }
    },
  };
}

import { join } from 'node:path';
import type { BuildOptions } from '../build.js';
import { BuilderError } from '../builder-error.js';
import {
  type LayerCache,
  LocalDirLayerCache,
  RegistryLayerCache,
  readOnlyLayerCache,
} from '../cache/index.js';
import { repository } from './reference-parts.js';

/** The layer cache `--cache`, `--cache-repo` and `--cache-dir` ask for (read-only with `--no-push-cache`). */
export function chooseLayerCache(opts: BuildOptions): LayerCache | undefined {
  const cache = writableLayerCache(opts);
  return cache && opts.noPushCache ? readOnlyLayerCache(cache) : cache;
}

function writableLayerCache(opts: BuildOptions): LayerCache | undefined {
  if (!opts.cache) return undefined;
  const ttl = opts.cacheTtlMs === undefined ? {} : { ttl: opts.cacheTtlMs };
  const warn = { onWarning: (m: string) => opts.events?.info?.(m) };
  if (opts.cacheRepo) return new RegistryLayerCache(opts.registry, opts.cacheRepo, { ...ttl, ...warn });
  if (opts.cacheDir) return new LocalDirLayerCache(join(opts.cacheDir, 'layers'), { ...ttl, ...warn });
  const first = opts.destinations[0];
  if (first) return new RegistryLayerCache(opts.registry, `${repository(first)}/cache`, { ...ttl, ...warn });
  throw new BuilderError(
    'UNSUPPORTED',
    '--cache needs --cache-repo, --cache-dir or a destination to derive the cache repository from',
  );
}

import type { ContainerConfig, Digest, History, Layer } from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import { mapLimit } from '../internal/map-limit.js';

/** What is stored with a layer besides its bytes. */
export interface CacheEntryMeta {
  /** The history `created_by` of the step. */
  createdBy: string;
  /** True for steps that made no layer (metadata only, WORKDIR of an existing directory). */
  emptyLayer: boolean;
  /** History `comment` (default none). */
  comment?: string;
  /** Opaque container config to hand back on a hit (e.g. the config after the step). */
  config?: ContainerConfig;
  /** When the step's result was made, for its history `created`; default: when it is stored. */
  madeAt?: Date;
}

/** A cache hit: everything the engine needs to use the step without running it. */
export interface CachedLayer {
  key: string;
  /** The stored blob, byte for byte (whiteouts included); undefined for empty-layer steps. */
  layer: Layer | undefined;
  diffId: Digest | undefined;
  /** The history entry the step made (`created`: its `madeAt`, else when it was stored). */
  history: History;
  emptyLayer: boolean;
  config?: ContainerConfig;
  /** When the entry was stored; entries older than the TTL are misses. */
  storedAt: Date;
}

/**
 * A layer cache keyed by `planCacheKeys` keys. `get` looks many keys up at once (in parallel,
 * every key tried) and answers only hits; an entry that is expired, unreadable or whose blob does
 * not match its digest is a miss, never a hit. `put` stores the layer blob verbatim, so a layer
 * that deleted files replays the same whiteouts.
 */
export interface LayerCache {
  get(keys: readonly string[]): Promise<Map<string, CachedLayer>>;
  put(key: string, layer: Layer | undefined, meta: CacheEntryMeta): Promise<void>;
}

/**
 * `--no-push-cache`: the same cache, read-only. Hits are used; `put` stores nothing (kaniko pushes
 * no cache layers then).
 */
export function readOnlyLayerCache(cache: LayerCache): LayerCache {
  return { get: (keys) => cache.get(keys), put: async () => {} };
}

/** Options shared by the cache implementations. */
export interface LayerCacheOptions {
  /** Entries older than this are misses; milliseconds, default 336 h (kaniko's `--cache-ttl`). */
  ttl?: number;
  /** Clock (tests). */
  now?: () => Date;
  /** Lookups in flight at once; default 8. */
  concurrency?: number;
  /** Told about entries that could not be read or written (logged by the engine, never thrown). */
  onWarning?: (message: string) => void;
}

export const DEFAULT_CACHE_TTL_MS = 336 * 3600 * 1000;

/** `LayerCacheOptions` with their defaults filled in. */
export function cacheOptions(opts: LayerCacheOptions): Required<LayerCacheOptions> {
  return {
    ttl: opts.ttl ?? DEFAULT_CACHE_TTL_MS,
    now: opts.now ?? (() => new Date()),
    concurrency: opts.concurrency ?? 8,
    onWarning: opts.onWarning ?? (() => {}),
  };
}

/**
 * `LayerCache.get` for stores that look keys up one by one: every distinct key (checked with
 * `assertCacheKey`) is looked up, `concurrency` at once, and the hits are returned by key.
 */
export async function lookUpEach(
  keys: readonly string[],
  concurrency: number,
  lookup: (key: string) => Promise<CachedLayer | undefined>,
): Promise<Map<string, CachedLayer>> {
  const unique = [...new Set(keys)];
  for (const k of unique) assertCacheKey(k);
  const found = await mapLimit(unique, concurrency, lookup);
  const out = new Map<string, CachedLayer>();
  for (const hit of found) if (hit) out.set(hit.key, hit);
  return out;
}

/** Keys name files and tags: only 64 lower-case hex digits are accepted. */
export function assertCacheKey(key: string): void {
  if (!/^[0-9a-f]{64}$/.test(key)) {
    throw new BuilderError('UNSAFE_PATH', `using cache key "${key.slice(0, 80)}": not 64 hex digits`);
  }
}

/** The history entry of a stored step. */
export function historyOf(meta: CacheEntryMeta, storedAt: Date): History {
  return {
    created: (meta.madeAt ?? storedAt).toISOString(),
    created_by: meta.createdBy,
    ...(meta.comment !== undefined ? { comment: meta.comment } : {}),
    ...(meta.emptyLayer ? { empty_layer: true } : {}),
  };
}

export function isExpired(storedAt: Date, ttl: number, now: Date): boolean {
  return Number.isNaN(storedAt.getTime()) || storedAt.getTime() + ttl <= now.getTime();
}

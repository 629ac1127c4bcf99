/**
 * Public API of the layer cache: hash-chain keys per instruction and the `LayerCache` stores.
 * The package index re-exports this file.
 */
export {
  CACHE_KEY_SCHEMA,
  type CacheKey,
  computeKey,
  describeKey,
  type InstructionKeyInput,
  instructionKey,
  instructionText,
  type KeyPart,
  type KeySeedBase,
  type LayerFormat,
  seedKey,
} from './cache-key.js';
export {
  CacheSession,
  type CacheSessionOptions,
  type CacheSessionStats,
  DEFAULT_CACHED_KINDS,
} from './cache-session.js';
export {
  assertCacheKey,
  type CachedLayer,
  type CacheEntryMeta,
  DEFAULT_CACHE_TTL_MS,
  type LayerCache,
  type LayerCacheOptions,
  readOnlyLayerCache,
} from './layer-cache.js';
export { LocalDirLayerCache } from './local-dir-layer-cache.js';
export { type CacheKeyPlan, type PlanKeysRequest, planCacheKeys, type StageKeys } from './plan-keys.js';
export {
  CACHE_KEY_ANNOTATION,
  RegistryLayerCache,
  type RegistryLayerCacheOptions,
} from './registry-layer-cache.js';
export { type ReplayOptions, type ReplayTarget, replayCachedStep } from './replay-cached-step.js';
export { digestSources, type SourceDigest, type SourceDigestRequest } from './source-digest.js';

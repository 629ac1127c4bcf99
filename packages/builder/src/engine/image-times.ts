import { createHash } from 'node:crypto';
import type { History, ImageConfig } from '@kaniko-ts/oci';

/**
 * A rebuild with no change gives the same image, digest included, as docker, BuildKit and buildah
 * do (kaniko stamps every build with a new time, so its digest changes each time). The timestamps
 * this build wrote (`clock`: the config's `created` and the history entries it made) are the only
 * part of the config that differs between two builds of the same content; this key hashes the rest
 * (layers by diffID, every history entry, the whole container config). The layer cache keeps,
 * under a key derived from the target stage's final cache key, when an image was first built and
 * this key of its content (`CacheSession.imageTime`): a rebuild whose content key is the same is
 * stamped with that time.
 */
export function imageContentKey(config: ImageConfig, clock: string): string {
  const { created: _, ...rest } = config;
  const timeless = { ...rest, history: (config.history ?? []).map((h) => untimed(h, clock)) };
  return createHash('sha256')
    .update('kaniko-ts image content v1\n')
    .update(JSON.stringify(timeless))
    .digest('hex');
}

/** The config with this build's timestamps (`clock`) replaced by `time`. */
export function withImageTime(config: ImageConfig, clock: string, time: string): ImageConfig {
  return {
    ...config,
    ...(config.created === clock ? { created: time } : {}),
    history: (config.history ?? []).map((h) => (h.created === clock ? { ...h, created: time } : h)),
  };
}

function untimed(h: History, clock: string): History {
  if (h.created !== clock) return h;
  const { created: _, ...rest } = h;
  return rest;
}

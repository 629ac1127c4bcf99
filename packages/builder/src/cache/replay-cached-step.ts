import type { Readable } from 'node:stream';
import type { History, Layer } from '@kaniko-ts/oci';
import type { CachedLayer } from './layer-cache.js';

/** The parts of a stage's state a cache hit changes (`StageState` has them all). */
export interface ReplayTarget {
  layers: Layer[];
  history: History[];
  /** Set once the stage's root file system exists on disk. */
  rootfs?: string;
}

export interface ReplayOptions {
  /** Safe layer extraction (`extractLayer`), used when the root file system already exists. */
  extractTar(dir: string, tar: Readable): Promise<void>;
  /** History timestamp to record (the build's own clock / epoch); default: the cached one. */
  created?: string;
}

/**
 * Uses a cached step instead of running it: appends its layer and history entry to the stage. When
 * the stage's root file system is already on disk (an earlier instruction missed), the cached
 * layer is extracted onto it now, whiteouts included, so a later miss sees exactly what running
 * the step would have left. When it is not, nothing is extracted: the engine extracts
 * `state.layers` (base layers and cached ones, in order) the first time an instruction needs a
 * file system, and a fully cached stage never does.
 */
export async function replayCachedStep(
  target: ReplayTarget,
  hit: CachedLayer,
  opts: ReplayOptions,
): Promise<void> {
  if (hit.layer && target.rootfs !== undefined)
    await opts.extractTar(target.rootfs, await hit.layer.uncompressed());
  target.history.push({
    ...hit.history,
    ...(opts.created !== undefined ? { created: opts.created } : {}),
    ...(hit.layer ? {} : { empty_layer: true }),
  });
  if (hit.layer) target.layers.push(hit.layer);
}

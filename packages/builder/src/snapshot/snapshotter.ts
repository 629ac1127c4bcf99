import type { Writable } from 'node:stream';
import type { LayerWriteOptions, SnapshotStats } from './layer-writer.js';

export type { LayerWriteOptions, SnapshotStats } from './layer-writer.js';

/**
 * Turns the file-system change made by one instruction into a layer.
 *
 * `prepare(root)` records the baseline and returns the directory the change must be made in (the
 * root itself for a stat walk, an overlay mount over it for the overlay snapshotter); after the
 * RUN, `snapshot(sink)` streams the change set as an uncompressed layer tar into `sink` (ending it)
 * and leaves `root` holding the result, ready for the next `prepare`.
 */
export interface Snapshotter {
  readonly kind: 'overlay' | 'stat-walk';
  prepare(root: string): Promise<{ runRoot: string }>;
  snapshot(sink: Writable, opts?: LayerWriteOptions): Promise<SnapshotStats>;
  /** Unmounts and removes any scratch state; the root keeps what was committed. */
  dispose(): Promise<void>;
}

import type { InPlaceRoot } from '../rootfs/in-place-root.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';

/** What the engine needs besides the request: how RUN is snapshotted. */
export interface EngineParts {
  /**
   * Turns each RUN's change into a layer. Without `createSnapshotter` it serves every stage, one
   * RUN at a time (stages still build concurrently around it).
   */
  snapshotter: Snapshotter;
  /** A fresh snapshotter of the same kind, so concurrent stages each snapshot their own root. */
  createSnapshotter?: () => Snapshotter;
  /** In-place (kaniko-mode) builds: every stage is built in this root (`/`), one after another. */
  inPlace?: InPlaceRoot;
}

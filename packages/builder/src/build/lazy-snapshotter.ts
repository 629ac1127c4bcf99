import type { Writable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import type { LayerWriteOptions, SnapshotStats } from '../snapshot/layer-writer.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';

/** A snapshotter whose kind is decided on its first `prepare` (the probe runs then). */
export class LazySnapshotter implements Snapshotter {
  private inner?: Promise<Snapshotter>;
  private resolved?: Snapshotter;

  constructor(private readonly make: () => Promise<Snapshotter>) {}

  get kind(): Snapshotter['kind'] {
    return this.resolved?.kind ?? 'stat-walk';
  }

  async prepare(root: string): Promise<{ runRoot: string }> {
    this.inner ??= this.make().then((s) => {
      this.resolved = s;
      return s;
    });
    return (await this.inner).prepare(root);
  }

  async snapshot(sink: Writable, opts?: LayerWriteOptions): Promise<SnapshotStats> {
    if (!this.inner) throw new BuilderError('UNSUPPORTED', 'snapshot before prepare');
    return (await this.inner).snapshot(sink, opts);
  }

  async dispose(): Promise<void> {
    const s = await this.inner?.catch(() => undefined);
    await s?.dispose();
  }
}

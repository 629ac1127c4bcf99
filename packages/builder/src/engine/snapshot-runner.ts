import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Layer } from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import type { CopySource } from '../dispatch/copy.js';
import type { Executor } from '../executor/executor.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import type { BuildEvents, SecretSource } from './build-request.js';
import type { EngineParts } from './engine-parts.js';
import { resolveRunMounts } from './run-mounts.js';
import type { RunSpec } from './stage-services.js';
import type { StageState } from './stage-state.js';

export interface SnapshotRunnerOptions {
  parts: EngineParts;
  executor: Executor;
  /** Where `RUN --mount=type=cache` directories live. */
  cacheRoot: string;
  /** Scratch directory (mount sources, heredoc scripts). */
  tempDir: string;
  secrets: Record<string, SecretSource>;
  /** A `--mount from=` source (a stage, an image or the context). */
  source(from: string | undefined): Promise<CopySource>;
  /** The events of a stage (RUN output goes there). */
  events(stage: number): BuildEvents | undefined;
  /** Streams a layer tar into a hashed, compressed layer. */
  streamLayer<T>(write: (sink: Writable) => Promise<T>): Promise<{ result: T; layer: Layer }>;
  /** `--reproducible` mtime epoch. */
  epoch: number | undefined;
}

/**
 * Runs RUN commands between a snapshotter's `prepare` and `snapshot`: each stage on its own
 * snapshotter when `createSnapshotter` is given, else every stage on the shared one, in turns.
 */
export class SnapshotRunner {
  /** Each stage's snapshotter (own instances when `createSnapshotter` is given). */
  private readonly snapshotters = new Map<number, Snapshotter>();
  /** Serialises RUNs on the shared snapshotter when stages cannot have their own. */
  private sharedSnapshot: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SnapshotRunnerOptions) {}

  /** Disposes every snapshotter used; throws the first failure after trying them all. */
  async dispose(): Promise<void> {
    const all = new Set([this.opts.parts.snapshotter, ...this.snapshotters.values()]);
    const results = await Promise.allSettled([...all].map((s) => s.dispose()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  run(state: StageState, root: string, spec: RunSpec): Promise<Layer | undefined> {
    if (this.opts.parts.createSnapshotter)
      return this.runWith(this.snapshotterOf(state.plan.index), state, root, spec);
    // one shared snapshotter: its prepare → snapshot pairs must not interleave across stages
    const turn = this.sharedSnapshot.then(() => this.runWith(this.opts.parts.snapshotter, state, root, spec));
    this.sharedSnapshot = turn.catch(() => undefined);
    return turn;
  }

  private snapshotterOf(stage: number): Snapshotter {
    let s = this.snapshotters.get(stage);
    if (!s) {
      // the first stage keeps the snapshotter the caller made (a sequential build creates none)
      const taken = [...this.snapshotters.values()].includes(this.opts.parts.snapshotter);
      s = taken ? (this.opts.parts.createSnapshotter as () => Snapshotter)() : this.opts.parts.snapshotter;
      this.snapshotters.set(stage, s);
    }
    return s;
  }

  private async runWith(snapshotter: Snapshotter, state: StageState, root: string, spec: RunSpec) {
    const events = this.opts.events(state.plan.index);
    const resolved = await resolveRunMounts(spec.mounts, {
      cacheRoot: this.opts.cacheRoot,
      scratch: this.opts.tempDir,
      secrets: this.opts.secrets,
      source: (from) => this.opts.source(from),
    });
    for (const f of spec.files) {
      const dir = await mkdtemp(join(this.opts.tempDir, 'runfile-'));
      await writeFile(join(dir, 'script'), f.content, { mode: f.mode });
      resolved.mounts.push({ type: 'bind', source: join(dir, 'script'), target: f.path, readonly: true });
    }
    const { runRoot } = await snapshotter.prepare(root);
    const code = await this.opts.executor.run({
      root: runRoot,
      argv: spec.argv,
      env: [...spec.env, ...resolved.env],
      mounts: resolved.mounts,
      cwd: spec.cwd,
      user: { uid: spec.user.uid, gid: spec.user.gid, groups: spec.user.groups },
      network: spec.network,
      stdout: (chunk: Buffer) => events?.output?.(chunk, 'stdout'),
      stderr: (chunk: Buffer) => events?.output?.(chunk, 'stderr'),
    });
    if (code !== 0) {
      throw new BuilderError(
        'RUN_FAILED',
        `process "${spec.argv.join(' ')}" did not complete successfully: exit code ${code}`,
      );
    }
    // the change set is tarred, hashed and compressed in one pass (no tar file in between)
    const { result: stats, layer } = await this.opts.streamLayer((sink) =>
      snapshotter.snapshot(sink, { mtimeEpoch: this.opts.epoch }),
    );
    return stats.entries === 0 ? undefined : layer;
  }
}

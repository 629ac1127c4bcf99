import { BuilderError } from '../builder-error.js';
import type { EngineParts } from '../engine/build-image.js';
import type { Executor, RunOptions } from '../executor/executor.js';
import { LazySnapshotter } from './lazy-snapshotter.js';
import type { PreparedExecution } from './prepare-execution.js';

/** Not an error users see: the lazy attempt stops here when `auto` turned out to mean in place. */
export const IN_PLACE_CHOSEN = 'executor chosen late: in place; the build restarts in place';

/**
 * Probes the executor and snapshotter once, on first need (logging the choice then), for the
 * concurrent stages of a build and any restart. Holds no state beyond the one build.
 */
export class ExecutionSetupOnce {
  private pending?: Promise<PreparedExecution>;

  /** `prepare` runs the probes (`prepareExecution`); it is called at most once. */
  constructor(private readonly prepare: () => Promise<PreparedExecution>) {}

  get(): Promise<PreparedExecution> {
    this.pending ??= this.prepare();
    return this.pending;
  }

  /** The setup if it was started and succeeded. */
  async settled(): Promise<PreparedExecution | undefined> {
    return this.pending?.catch(() => undefined);
  }

  /** For the lazy attempt: the chroot setup, or a stop when the choice is to build in place. */
  async needChroot(): Promise<PreparedExecution> {
    const prepared = await this.get();
    if (prepared.executor.inPlace) throw new BuilderError('EXECUTOR_UNAVAILABLE', IN_PLACE_CHOSEN);
    return prepared;
  }

  /** An executor that probes on its first RUN (and stops the attempt if the choice is in place). */
  lazyExecutor(): Executor {
    return {
      kind: 'lazy',
      run: async (o: RunOptions) => (await this.needChroot()).executor.executor.run(o),
    };
  }

  /** Engine parts whose snapshotters probe on their first RUN, like `lazyExecutor`. */
  lazyParts(): EngineParts {
    return {
      snapshotter: new LazySnapshotter(async () => (await this.needChroot()).snapshotter),
      createSnapshotter: () => new LazySnapshotter(async () => (await this.needChroot()).create()),
    };
  }
}

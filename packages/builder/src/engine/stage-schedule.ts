import type { PlannedStage } from '@kaniko-ts/dockerfile';
import { BuilderError } from '../builder-error.js';
import type { BuildEvents } from './build-request.js';

/** Stages a stage needs built first: its FROM stage, COPY --from and RUN --mount from= stages. */
export function stageDependencies(stage: PlannedStage): Set<number> {
  const out = new Set<number>();
  if (stage.base.kind === 'stage') out.add(stage.base.index);
  for (const d of stage.dependencies) if (d.stage !== undefined && d.stage !== stage.index) out.add(d.stage);
  return out;
}

/**
 * Runs `build(index)` for every stage of `order`, each once the stages it depends on are done, at
 * most `limit` at once, earlier stages of the order first. After a failure no new stage starts;
 * the running ones finish and the first error is thrown.
 */
export async function scheduleStages(
  order: readonly number[],
  deps: (index: number) => ReadonlySet<number>,
  limit: number,
  build: (index: number) => Promise<void>,
): Promise<void> {
  const max = Math.max(1, Math.floor(limit));
  const done = new Set<number>();
  const started = new Set<number>();
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve) => {
    let running = 0;
    const runOne = async (index: number) => {
      try {
        await build(index);
        done.add(index);
      } catch (error) {
        failure ??= { error };
      }
      running--;
      pump();
    };
    const pump = () => {
      for (const index of order) {
        if (failure || running >= max) break;
        if (started.has(index) || ![...deps(index)].every((d) => done.has(d))) continue;
        started.add(index);
        running++;
        void runOne(index);
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure) throw failure.error;
  const missing = order.filter((i) => !done.has(i));
  if (missing.length > 0)
    throw new BuilderError(
      'STAGE_NOT_BUILT',
      `building stages ${missing.join(', ')}: they depend on stages outside the build order`,
    );
}

type Call = { [K in keyof BuildEvents]-?: [K, Parameters<NonNullable<BuildEvents[K]>>] }[keyof BuildEvents];

/**
 * Keeps the events of concurrently built stages in the sequential order: the earliest unfinished
 * stage of the order is live (its events pass straight through, RUN output included); the others'
 * events wait in a buffer and are replayed, in order, when every stage before them has finished.
 */
export class OrderedEvents {
  private position = 0;
  private readonly buffers = new Map<number, Call[]>();
  private readonly finishedStages = new Set<number>();

  constructor(
    private readonly order: readonly number[],
    private readonly target: BuildEvents | undefined,
  ) {}

  /** The listeners stage `index` reports to. */
  stage(index: number): BuildEvents {
    const emit = (call: Call) => {
      if (this.order[this.position] === index) this.deliver(call);
      else {
        const list = this.buffers.get(index) ?? [];
        list.push(call);
        this.buffers.set(index, list);
      }
    };
    const t = this.target;
    if (!t) return {};
    const out: BuildEvents = {};
    for (const name of Object.keys(t) as (keyof BuildEvents)[]) {
      if (typeof t[name] !== 'function') continue;
      (out as Record<string, (...a: unknown[]) => void>)[name] = (...args: unknown[]) =>
        emit([name, args] as Call);
    }
    return out;
  }

  /** Stage `index` is done: later stages' buffered events are replayed up to the next unfinished one. */
  finished(index: number): void {
    this.finishedStages.add(index);
    while (this.position < this.order.length) {
      const current = this.order[this.position] as number;
      for (const call of this.buffers.get(current) ?? []) this.deliver(call);
      this.buffers.delete(current);
      if (!this.finishedStages.has(current)) break;
      this.position++;
    }
  }

  private deliver([name, args]: Call): void {
    (this.target?.[name] as ((...a: unknown[]) => void) | undefined)?.(...args);
  }
}

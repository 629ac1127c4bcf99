/** The first failure of the tasks run through one or more limiters that share this record. */
export interface FailureRecord {
  failure?: { error: unknown };
}

/**
 * Runs tasks with at most `limit` in flight, in call order. Once a task has failed (`shared`
 * records it), tasks still waiting for a slot are not started: they reject with that first failure.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function limiter(limit: number, shared: FailureRecord = {}): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < Math.max(1, limit)) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        if (shared.failure !== undefined) throw shared.failure.error;
        return await task();
      } catch (error) {
        shared.failure ??= { error };
        throw error;
      } finally {
        // the slot passes straight to the next waiter, so a new caller cannot take it in between
        const next = waiting.shift();
        if (next === undefined) active--;
        else next();
      }
    },
  };
}

import { describe, expect, it } from 'vitest';
import { OrderedEvents, scheduleStages } from './stage-schedule.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduleStages', () => {
  it('starts a stage only after its dependencies, never more than the limit at once', async () => {
    const deps: Record<number, number[]> = { 0: [], 1: [], 2: [0], 3: [1, 2] };
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    await scheduleStages(
      [0, 1, 2, 3],
      (i) => new Set(deps[i]),
      2,
      async (i) => {
        for (const d of deps[i] ?? []) expect(log).toContain(`end ${d}`);
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${i}`);
        await tick(i === 0 ? 30 : 5);
        log.push(`end ${i}`);
        running--;
      },
    );
    expect(peak).toBe(2);
    expect(log.slice(0, 2)).toEqual(['start 0', 'start 1']);
    expect(log.at(-1)).toBe('end 3');
  });

  it('runs one at a time in order with a limit of 1', async () => {
    const log: number[] = [];
    await scheduleStages(
      [2, 0, 1],
      () => new Set(),
      1,
      async (i) => {
        log.push(i);
        await tick(1);
      },
    );
    expect(log).toEqual([2, 0, 1]);
  });

  it('starts nothing new after a failure and throws the first error once running stages end', async () => {
    const started: number[] = [];
    let finishedSlow = false;
    const run = scheduleStages(
      [0, 1, 2],
      () => new Set(),
      2,
      async (i) => {
        started.push(i);
        if (i === 0) throw new Error('stage 0 broke');
        await tick(20);
        finishedSlow = true;
      },
    );
    await expect(run).rejects.toThrow('stage 0 broke');
    expect(started).toEqual([0, 1]);
    expect(finishedSlow).toBe(true);
  });
});

describe('OrderedEvents', () => {
  it('delivers events in the order of the stages, whatever order they happen in', () => {
    const seen: string[] = [];
    const gate = new OrderedEvents([0, 1, 2], {
      info: (m) => seen.push(m),
      output: (c) => seen.push(c.toString()),
    });
    const [e0, e1, e2] = [gate.stage(0), gate.stage(1), gate.stage(2)];
    e1.info?.('1a');
    e2.info?.('2a');
    e0.info?.('0a');
    e1.output?.(Buffer.from('1b'), 'stdout');
    expect(seen).toEqual(['0a']); // stage 0 is live, the others wait
    gate.finished(2);
    expect(seen).toEqual(['0a']);
    gate.finished(0);
    expect(seen).toEqual(['0a', '1a', '1b']); // stage 1 is live now; stage 2 still waits for it
    e1.info?.('1c');
    gate.finished(1);
    expect(seen).toEqual(['0a', '1a', '1b', '1c', '2a']);
  });
});

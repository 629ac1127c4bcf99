import { describe, expect, it } from 'vitest';
import type { BuildEvents } from '../engine/build-request.js';
import { RestartEvents } from './restart-events.js';

function listener() {
  const seen: string[] = [];
  const events: BuildEvents = {
    stage: (e) => seen.push(`stage ${e.index}`),
    instructionStart: (e) => seen.push(`start ${e.line}`),
    instructionEnd: (e) => seen.push(`end ${e.line}${e.cached ? ' cached' : ''}`),
    output: (c) => seen.push(`out ${c}`),
    info: (m) => seen.push(`info ${m}`),
  };
  return { seen, events };
}

const step = (e: BuildEvents | undefined, line: number, cached: boolean) => {
  e?.instructionStart?.({ stage: 0, text: 'X', line });
  e?.instructionEnd?.({ stage: 0, text: 'X', line, durationMs: 1, cached });
};

describe('RestartEvents', () => {
  it('drops what the restart repeats, in order, and passes on the rest', () => {
    const { seen, events } = listener();
    const r = new RestartEvents(events);
    const first = r.first();
    first?.stage?.({ index: 0, base: 'b' });
    step(first, 2, true);
    first?.instructionStart?.({ stage: 0, text: 'RUN', line: 3 });
    const again = r.restart();
    again?.stage?.({ index: 0, base: 'b' });
    again?.info?.('in place');
    step(again, 2, true);
    again?.instructionStart?.({ stage: 0, text: 'RUN', line: 3 });
    again?.output?.(Buffer.from('x'), 'stdout');
    again?.instructionEnd?.({ stage: 0, text: 'RUN', line: 3, durationMs: 1 });
    expect(seen).toEqual([
      'stage 0',
      'start 2',
      'end 2 cached',
      'start 3',
      'info in place',
      'out x',
      'end 3',
    ]);
  });

  it('passes on everything from the first event that differs', () => {
    const { seen, events } = listener();
    const r = new RestartEvents(events);
    const first = r.first();
    step(first, 2, true);
    step(first, 3, true);
    const again = r.restart();
    // the step at line 2 is no longer a cache hit: shown again, and so is everything after it
    step(again, 2, false);
    step(again, 3, true);
    expect(seen).toEqual([
      'start 2',
      'end 2 cached',
      'start 3',
      'end 3 cached',
      'end 2',
      'start 3',
      'end 3 cached',
    ]);
  });

  it('has no listener when the build has none', () => {
    const r = new RestartEvents(undefined);
    expect(r.first()).toBeUndefined();
    expect(r.restart()).toBeUndefined();
  });
});

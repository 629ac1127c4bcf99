import { describe, expect, it } from 'vitest';
import { progressEvents } from '../build/progress-events.js';
import { fakeContext } from './fake-context.js';

function recordingContext() {
  const { ctx } = fakeContext();
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  ctx.log = {
    debug: (message) => lines.push({ level: 'debug', message }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
    progress: () => {},
  };
  return { ctx, lines };
}

describe('progressEvents', () => {
  it('logs the executor choice at info, builder warnings as warnings and other notes at debug', () => {
    const { ctx, lines } = recordingContext();
    const events = progressEvents(ctx, new Map());
    events?.info?.('executor: in place (container detected); stat-walk snapshots of /');
    events?.info?.('warning: extended attributes are skipped');
    events?.info?.('cache: {"hits":1}');
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'executor: in place (container detected); stat-walk snapshots of /'],
      ['warn', 'extended attributes are skipped'],
      ['debug', 'cache: {"hits":1}'],
    ]);
  });

  it('completes RUN output lines across chunks before logging them, and records cache hits', () => {
    const { ctx, lines } = recordingContext();
    const cached = new Map<string, boolean>();
    const events = progressEvents(ctx, cached);
    events?.output?.(Buffer.from('hel'), 'stdout');
    events?.output?.(Buffer.from('lo\nwor'), 'stdout');
    events?.instructionEnd?.({ stage: 0, text: 'RUN x', line: 3, durationMs: 1500, cached: true });
    expect(lines.filter((l) => l.fields?.event === 'output').map((l) => l.message)).toEqual(['hello', 'wor']);
    expect(cached.get('0:3')).toBe(true);
    const end = lines.find((l) => l.fields?.event === 'instruction-end');
    expect(end?.message).toBe('stage 0, line 3: done (1.50 s, cached)');
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepContext, SummarySection } from '../step-context.js';

/** A StepContext that records what a step did, for assertions. */
export function fakeContext(options: { token?: string; env?: Record<string, string> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'steps-test-'));
  const record = {
    masked: [] as string[],
    warnings: [] as { message: string; file?: string; line?: number }[],
    summaries: [] as SummarySection[],
    groups: [] as string[],
    audiences: [] as string[],
  };
  const ctx: StepContext = {
    log: {
      debug() {},
      info() {},
      warn(message, at) {
        record.warnings.push({ message, file: at?.file, line: at?.line });
      },
      error() {},
      progress() {},
    },
    async group(name, fn) {
      record.groups.push(name);
      return fn();
    },
    maskSecret(v) {
      record.masked.push(v);
    },
    workspace: '/work/space',
    tempDir: dir,
    identity: {
      async getIdToken(audience) {
        record.audiences.push(audience);
        if (options.token === undefined) throw new Error('no token in this test');
        return options.token;
      },
    },
    clock: { now: () => new Date(0) },
    env: options.env ?? {},
    addSummary(s) {
      record.summaries.push(s);
    },
  };
  return { ctx, record };
}

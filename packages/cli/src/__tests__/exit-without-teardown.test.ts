import { chmodSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ExitSurroundings,
  executableIdentity,
  exitWithoutTeardown,
  TRUE_PROGRAM,
  unchangedExecutable,
} from '../exit-without-teardown.js';

/** A process where the fast exit may happen, recording what is called, in order. */
function surroundings(over: Partial<ExitSurroundings> = {}) {
  const calls: string[] = [];
  const s: ExitSurroundings = {
    execArgv: [],
    env: {},
    stdout: { writableLength: 0 },
    stderr: { writableLength: 0 },
    execve: ((file: string, args: readonly string[], env: Record<string, string>) => {
      calls.push(`execve ${file} ${JSON.stringify(args)} ${JSON.stringify(env)}`);
    }) as ExitSurroundings['execve'],
    executable: (file) => {
      calls.push(`executable ${file}`);
      return true;
    },
    flushCompileCache: () => calls.push('flush'),
    ...over,
  };
  return { s, calls };
}

describe('exitWithoutTeardown', () => {
  it('flushes the compile cache, then replaces the process with /bin/true and an empty environment', () => {
    const { s, calls } = surroundings({ env: { TOKEN: 'secret' } });
    expect(exitWithoutTeardown(0, s)).toBe(true);
    expect(calls).toEqual([
      `executable ${TRUE_PROGRAM}`,
      'flush',
      `execve ${TRUE_PROGRAM} ["${TRUE_PROGRAM}"] {}`,
    ]);
  });

  it('leaves a failure to node: /bin/true cannot carry another status', () => {
    const { s, calls } = surroundings();
    expect(exitWithoutTeardown(1, s)).toBe(false);
    expect(exitWithoutTeardown(2, s)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('leaves the exit to node when profiles, coverage or reports are written in its teardown', () => {
    for (const over of [
      { execArgv: ['--cpu-prof'] },
      { env: { NODE_OPTIONS: '--heapsnapshot-signal=SIGUSR2' } },
      { env: { NODE_V8_COVERAGE: '/tmp/coverage' } },
    ]) {
      const { s, calls } = surroundings(over);
      expect(exitWithoutTeardown(0, s)).toBe(false);
      expect(calls).toEqual([]);
    }
  });

  it('leaves the exit to node while stdout or stderr still holds unwritten data (a full pipe)', () => {
    for (const over of [{ stdout: { writableLength: 1 } }, { stderr: { writableLength: 65_536 } }]) {
      const { s, calls } = surroundings(over);
      expect(exitWithoutTeardown(0, s)).toBe(false);
      expect(calls).toEqual([]);
    }
  });

  it('never tries an exec that could fail (node aborts then): no execve, or no executable /bin/true', () => {
    const none = surroundings({ execve: undefined });
    expect(exitWithoutTeardown(0, none.s)).toBe(false);
    expect(none.calls).toEqual([]);
    const missing = surroundings({ executable: () => false });
    expect(exitWithoutTeardown(0, missing.s)).toBe(false);
    expect(missing.calls).toEqual([]);
  });
});

describe('executableIdentity and unchangedExecutable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exit-teardown-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, text = '#!/bin/sh\n') => {
    const file = join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
    return file;
  };

  it('knows an executable regular file, and nothing else', () => {
    const plain = join(dir, 'plain');
    writeFileSync(plain, '');
    chmodSync(plain, 0o644);
    expect(executableIdentity(script('run.sh'))).toBeDefined();
    expect(executableIdentity(plain)).toBeUndefined();
    expect(executableIdentity(dir)).toBeUndefined();
    expect(executableIdentity(join(dir, 'missing'))).toBeUndefined();
  });

  it('is unchanged only while the file is the one seen at start-up (an in-place build replaces it)', () => {
    const file = script('true');
    const atStart = executableIdentity(file);
    expect(unchangedExecutable(file, atStart)).toBe(true);
    // replaced by another file, as extracting the built image over `/` does
    renameSync(script('other', '#!/bin/sh\nexit 0\n'), file);
    expect(unchangedExecutable(file, atStart)).toBe(false);
    // rewritten in place with new times
    const again = executableIdentity(file);
    utimesSync(file, new Date(0), new Date(0));
    expect(unchangedExecutable(file, again)).toBe(false);
    // gone, or never known
    rmSync(file);
    expect(unchangedExecutable(file, atStart)).toBe(false);
    expect(unchangedExecutable(script('new'), undefined)).toBe(false);
  });
});

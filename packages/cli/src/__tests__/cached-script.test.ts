import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCachedScript } from '../cached-script.js';

const node = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const source = fileURLToPath(new URL('../cached-script.ts', import.meta.url));

/**
 * One load in a process of its own, as the CLI does it: V8 keeps what a process compiled in memory
 * and would not even read a second load's cache. Returns what the run saw; `work` calls the
 * exported function first; `save` false skips the save.
 */
function loadInProcess(file: string, cacheDir: string, opts: { work?: boolean; save?: boolean } = {}) {
  const script = `
    const { loadCachedScript } = await import(${JSON.stringify(source)});
    const s = loadCachedScript(${JSON.stringify(file)}, ${JSON.stringify(cacheDir)});
    if (${opts.work ?? false}) s.exports.work(7);
    if (${opts.save ?? true}) s.save();
    process.stdout.write(JSON.stringify({ generation: s.generation, answer: s.exports.answer, sibling: s.exports.sibling }));`;
  const out = execFileSync(node, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { generation: number; answer: number; sibling: string };
}

const work = mkdtempSync(join(tmpdir(), 'cached-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Exports {
  answer: number;
  where: { filename: string; dirname: string };
  sibling: string;
  /** a function big enough that its compiled code shows in a cache's size */
  work: (n: number) => number;
}

// A CommonJS file as esbuild writes one, with a sibling it requires; `tag` makes another file.
let count = 0;
function bundle(tag = ''): string {
  const dir = join(work, `bundle-${count++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'sibling.cjs'), `module.exports = 'beside ${tag}';`);
  const steps = Array.from({ length: 200 }, (_, i) => `  n = (n * ${i + 3} + ${i}) % 1000003;`).join('\n');
  writeFileSync(
    join(dir, 'app-build.cjs'),
    `"use strict";
module.exports = {
  tag: ${JSON.stringify(tag)},
  answer: 42,
  where: { filename: __filename, dirname: __dirname },
  sibling: require('./sibling.cjs'),
  work(n) {
${steps}
    return n;
  },
};`,
  );
  return join(dir, 'app-build.cjs');
}

const files = (dir: string) => readdirSync(dir).sort();

describe('loadCachedScript', () => {
  it('runs a CommonJS file: its exports, require beside it, __filename and __dirname', () => {
    const file = bundle('a');
    const s = loadCachedScript<Exports>(file, undefined);
    expect(s.exports.answer).toBe(42);
    expect(s.exports.sibling).toBe('beside a');
    expect(s.exports.where).toEqual({ filename: file, dirname: join(file, '..') });
    expect(s.generation).toBe(0);
    s.save(); // no cache dir: nothing to write, and no error
  });

  it('writes a first generation, replaces it with a second from the next run, then keeps that one', () => {
    const file = bundle();
    const cache = join(work, 'gen-cache');
    expect(loadInProcess(file, cache).generation).toBe(0);
    const [one] = files(cache);
    expect(one).toMatch(/^app-build-[0-9a-f]+-\d+\.1\.v8$/);

    const second = loadInProcess(file, cache);
    // 1, not 0: V8 took the cache (a refused one counts as none)
    expect(second).toEqual({ generation: 1, answer: 42, sibling: 'beside ' });
    const two = (one as string).replace('.1.v8', '.2.v8');
    expect(files(cache)).toEqual([two]);

    const before = statSync(join(cache, two));
    expect(loadInProcess(file, cache).generation).toBe(2);
    const after = statSync(join(cache, two));
    expect(files(cache)).toEqual([two]);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('keeps the code of the functions a run called, which a cache made at load time does not hold', () => {
    const file = bundle();
    const idle = join(work, 'idle-cache');
    const busy = join(work, 'busy-cache');
    loadInProcess(file, idle);
    loadInProcess(file, busy, { work: true });
    const size = (dir: string) => statSync(join(dir, files(dir)[0] as string)).size;
    expect(size(busy)).toBeGreaterThan(size(idle));
  });

  it('another file (other content) never reads this one’s cache', () => {
    const cache = join(work, 'shared-cache');
    loadInProcess(bundle('a'), cache);
    // the same name, another CRC and size: a cache of its own
    expect(loadInProcess(bundle('bb'), cache)).toEqual({ generation: 0, answer: 42, sibling: 'beside bb' });
    expect(files(cache)).toHaveLength(2);
  });

  it('a cache V8 refuses is dropped: the file still runs, and the next cache starts again', () => {
    const file = bundle();
    const cache = join(work, 'refused-cache');
    loadInProcess(file, cache);
    const [one] = files(cache);
    const two = (one as string).replace('.1.v8', '.2.v8');
    rmSync(join(cache, one as string));
    writeFileSync(join(cache, two), 'not code from V8');
    expect(loadInProcess(file, cache)).toEqual({ generation: 0, answer: 42, sibling: 'beside ' });
    expect(files(cache)).toEqual([one]);
    expect(loadInProcess(file, cache).generation).toBe(1);
  });

  it('a cache dir it cannot write to costs nothing but the cache', () => {
    const file = bundle();
    const blocked = join(work, 'blocked');
    writeFileSync(blocked, 'a file where the cache dir would be');
    const s = loadCachedScript<Exports>(file, join(blocked, 'cache'));
    expect(s.exports.answer).toBe(42);
    expect(() => s.save()).not.toThrow();
  });
});

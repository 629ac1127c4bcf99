import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerfileError, expandWord, expandWords } from '../src/index.js';
import { conformanceDir } from './conformance-dir.js';

const dir = conformanceDir();

/**
 * envVarTest rows are tagged A (all platforms), U (Unix) or W (Windows). BuildKit runs A+U on Unix and
 * A+W on Windows; the only difference on Windows is that variable names compare case-insensitively
 * (`$pwd` finds `PWD`). We run every row: A rows in both modes, U rows case-sensitive, W rows with
 * `caseInsensitiveEnv` (the Windows semantics), so no row is excluded.
 */
describe('BuildKit envVarTest', () => {
  const env = ['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL='];
  const rows = readFileSync(join(dir, 'shell/envVarTest'), 'utf8')
    .split('\n')
    .map((line, i) => ({ line, no: i + 1 }))
    .filter(({ line }) => !line.startsWith('#') && line.trim() !== '');
  it('has the rows BuildKit has', () => {
    expect(rows.length).toBeGreaterThan(200);
  });
  for (const { line, no } of rows) {
    const parts = line.trim().split('|');
    if (parts.length !== 3) throw new Error(`bad row ${no}: ${line}`);
    const [platform, source, expected] = parts.map((p) => p.trim()) as [string, string, string];
    const modes = platform === 'A' ? [false, true] : platform === 'W' ? [true] : [false];
    for (const caseInsensitiveEnv of modes) {
      it(`line ${no} ${platform}${caseInsensitiveEnv ? ' (windows)' : ''}: ${source}`, () => {
        if (expected === 'error') {
          expect(() => expandWord(source, env, { caseInsensitiveEnv })).toThrow(DockerfileError);
        } else {
          expect(expandWord(source, env, { caseInsensitiveEnv })).toBe(expected);
        }
      });
    }
  }
});

describe('BuildKit wordsTest', () => {
  const env: string[] = [];
  const cases: Array<{ no: number; input: string; expected: string[]; env: string[] }> = [];
  readFileSync(join(dir, 'shell/wordsTest'), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('#') || line === '') return;
      if (line.startsWith('ENV ')) {
        env.push(line.slice(3).replace(/^ +/, ''));
        return;
      }
      const parts = line.split('|');
      if (parts.length !== 2) throw new Error(`bad row ${i + 1}: ${line}`);
      cases.push({
        no: i + 1,
        input: (parts[0] as string).trim(),
        expected: (parts[1] as string).replace(/^ +/, '').split(','),
        env: [...env],
      });
    });
  it('has the rows BuildKit has', () => {
    expect(cases.length).toBeGreaterThan(20);
  });
  for (const c of cases) {
    it(`line ${c.no}: ${c.input}`, () => {
      let got: string[];
      try {
        got = expandWords(c.input, c.env);
      } catch (e) {
        if (!(e instanceof DockerfileError)) throw e;
        got = ['error'];
      }
      expect(got).toEqual(c.expected);
    });
  }
});

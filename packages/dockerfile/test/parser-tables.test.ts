import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, toBuildkitDump } from '../src/index.js';
import { conformanceDir } from './conformance-dir.js';

const dir = join(conformanceDir(), 'parser');
const cases = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());

describe('BuildKit parser testfiles', () => {
  it('has all 33 cases', () => {
    expect(cases.length).toBe(33);
  });
  for (const c of cases) {
    it(c.name, () => {
      const src = readFileSync(join(dir, c.name, 'Dockerfile'));
      const expected = readFileSync(join(dir, c.name, 'result'), 'utf8');
      expect(toBuildkitDump(parseDockerfile(src))).toBe(expected);
    });
  }
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createBuildPlan,
  DockerfileError,
  describePlan,
  expandWord,
  expandWords,
  lintDockerfile,
} from '../src/index.js';
import { conformanceDir } from './conformance-dir.js';

/** Each case must finish quickly: a hang shows up as a failure, not a stuck run. */
const CASE_BUDGET_MS = 2000;

function check(source: string): void {
  const start = performance.now();
  try {
    const plan = createBuildPlan(source, { buildArgs: { A: '1' } });
    expect(plan.stages.length).toBeGreaterThan(0);
    expect(typeof describePlan(plan)).toBe('string');
  } catch (e) {
    if (!(e instanceof DockerfileError))
      throw new Error(`not a DockerfileError for ${JSON.stringify(source)}: ${e}`);
    expect(e.message).toMatch(/^Dockerfile:\d+:\d+: /);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(0);
  }
  expect(performance.now() - start).toBeLessThan(CASE_BUDGET_MS);
}

const KEYWORDS = [
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
  'MAINTAINER',
  'from',
  'Run',
  'BOGUS',
];
const PIECES = [
  'a',
  'b',
  ' ',
  '  ',
  '\t',
  '=',
  '"',
  "'",
  '\\',
  '`',
  '$',
  '${',
  '}',
  '{',
  ':-',
  ':+',
  ':?',
  '#',
  '##',
  '%',
  '%%',
  '/',
  '//',
  '[',
  ']',
  ',',
  '"x"',
  '<<EOF',
  '<<-EOF',
  '3<<E',
  '--mount=type=cache,target=/c',
  '--mount=type=secret,id=s',
  '--from=0',
  '--from=x',
  '--chmod=755',
  '--chown=1:1',
  '--platform=$BUILDPLATFORM',
  '--link',
  '--interval=5s',
  'AS',
  'x',
  'CMD',
  'NONE',
  'scratch',
  'alpine',
  '\n',
  '\\\n',
  '\nEOF\n',
  '\n# c\n',
  '\n\n',
  '$A',
  `\${A:-d}`,
  `\${A#x}`,
  `\${A/x/y}`,
  'ü',
  '😀',
];

const instructionLine = fc
  .tuple(fc.constantFrom(...KEYWORDS), fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }))
  .map(([k, parts]) => `${k} ${parts.join('')}`);
const dockerfile = fc
  .tuple(
    fc.option(
      fc.constantFrom('# syntax=docker/dockerfile:1', '# escape=`', '# check=skip=all', '#escape=\\'),
    ),
    fc.array(instructionLine, { minLength: 1, maxLength: 12 }),
  )
  .map(([d, lines]) => [...(d ? [d] : []), 'FROM alpine AS base', ...lines].join('\n'));

function corpus(): string[] {
  const out: string[] = [];
  const parserDir = join(conformanceDir(), 'parser');
  for (const d of readdirSync(parserDir)) out.push(readFileSync(join(parserDir, d, 'Dockerfile'), 'utf8'));
  const golden = new URL('../testdata/', import.meta.url);
  for (const d of readdirSync(golden)) out.push(readFileSync(new URL(`${d}/Dockerfile`, golden), 'utf8'));
  return out;
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...PIECES) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('dupline' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: string, muts: Mutation[]): string {
  let s = src;
  for (const m of muts) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    if (m.op === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else {
      const lines = s.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i] ?? '');
      s = lines.join('\n');
    }
  }
  return s;
}

describe('fuzz: the frontend returns a plan or throws DockerfileError with a location', () => {
  it('random unicode text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), check), { numRuns: 300 });
  });
  it('random text built from Dockerfile-ish pieces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PIECES, ...KEYWORDS), { maxLength: 60 }).map((p) => p.join('')),
        check,
      ),
      { numRuns: 300 },
    );
  });
  it('counterexamples found by earlier runs', () => {
    // a COPY destination that looks like a heredoc but does not lex (found by a CI run's seed)
    check('FROM alpine AS base\nCOPY a\t<<-EOF"\nFROM ');
  });
  it('generated Dockerfiles', () => {
    fc.assert(fc.property(dockerfile, check), { numRuns: 400 });
  });
  it('mutated corpus files (BuildKit testfiles and our golden corpus)', () => {
    const files = corpus();
    fc.assert(
      fc.property(
        fc.nat({ max: files.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (i, muts) => check(mutate(files[i] as string, muts)),
      ),
      { numRuns: 400 },
    );
  });
  it('generated ONBUILD triggers and ENV of a base image', () => {
    fc.assert(
      fc.property(
        fc.array(instructionLine, { maxLength: 4 }),
        fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }),
        dockerfile,
        (onBuild, env, src) => {
          const start = performance.now();
          try {
            createBuildPlan(src, {
              baseImages: { alpine: { onBuild, env: env.map((e, i) => `V${i}=${e}`) } },
            });
          } catch (e) {
            if (!(e instanceof DockerfileError)) throw e;
            expect(e.message).toMatch(/^[^:]+:\d+:\d+: /);
          }
          expect(performance.now() - start).toBeLessThan(CASE_BUDGET_MS);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('lintDockerfile never throws anything else', () => {
    fc.assert(
      fc.property(dockerfile, (src) => {
        try {
          lintDockerfile(src);
        } catch (e) {
          if (!(e instanceof DockerfileError)) throw e;
        }
      }),
      { numRuns: 200 },
    );
  });
  it('expandWord / expandWords on random words', () => {
    const word = fc
      .array(fc.constantFrom(...PIECES, 'A', 'B', '*', '?', '\\}', '\\/'), { maxLength: 20 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(word, (w) => {
        for (const fn of [expandWord, expandWords]) {
          try {
            fn(w, { A: 'xay', B: '' });
          } catch (e) {
            if (!(e instanceof DockerfileError) || e.code !== 'EXPANSION') throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

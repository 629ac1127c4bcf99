// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell words with ${…} are the test data
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../dockerfile-error.js';
import { expandWord, expandWords, expandWordWithMatches } from './expand.js';

/** Cases from BuildKit's TestProcessWithMatches (shell/lex_test.go), expectations as BuildKit states them. */
const cases: Array<{
  input: string;
  env: Record<string, string>;
  expected?: string;
  error?: true;
  matched?: string[];
  unmatched?: string[];
}> = [
  { input: 'x', env: { DUMMY: 'dummy' }, expected: 'x', matched: [], unmatched: [] },
  { input: 'x ${UNUSED}', env: { DUMMY: 'dummy' }, expected: 'x ', matched: [], unmatched: ['UNUSED'] },
  { input: 'x ${FOO}', env: { FOO: 'y' }, expected: 'x y', matched: ['FOO'] },
  {
    input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}',
    env: { FOO: 'xxx', BAR: '' },
    expected: 'xxx  ccc',
    matched: ['FOO', 'BAR'],
    unmatched: ['BAZ'],
  },
  {
    input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}',
    env: { FOO: 'xxx', BAR: '' },
    expected: 'xxx bbb ccc',
    matched: ['FOO', 'BAR'],
    unmatched: ['BAZ'],
  },
  { input: '${FOO:-}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx' },
  { input: '${FOO:-}', env: {}, expected: '', unmatched: ['FOO'] },
  { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa bbb ' },
  { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', env: { FOO: 'xxx', BAR: '' }, expected: 'aaa  ' },
  { input: '${FOO?aaa}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx' },
  { input: '${BAR?bbb}', env: { FOO: 'xxx', BAR: '' }, expected: '' },
  { input: '${BAZ?ccc}', env: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO:?aaa}', env: { FOO: 'xxx', BAR: '' }, expected: 'xxx' },
  { input: '${BAR:?bbb}', env: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${BAZ:?ccc}', env: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${BAZ:?}', env: { FOO: 'xxx', BAR: '' }, error: true },
  { input: '${FOO=aaa}', env: { FOO: 'xxx' }, error: true },
  { input: '${FOO=:aaa}', env: { FOO: 'xxx' }, error: true },
  { input: '${FOO=}', env: {}, error: true },
  { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', env: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x' },
  { input: '${FOO%%\\**}', env: { FOO: 'xx**' }, expected: 'xx' },
  { input: '${FOO#*x*y}', env: { FOO: 'xxyy' }, expected: 'y' },
  { input: '${FOO#*}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO#$BAR}', env: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy' },
  { input: '${FOO#$BAR}', env: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy' },
  { input: '${FOO#}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO##*x}', env: { FOO: 'xxyy' }, expected: 'yy' },
  { input: '${FOO##}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO#?\\?}', env: { FOO: '???y' }, expected: '?y' },
  { input: '${ABC:-.}${FOO%x}${ABC:-.}', env: { FOO: 'xxyy' }, expected: '.xxyy.' },
  { input: '${FOO%%\\**\\*}', env: { FOO: 'a***yy*' }, expected: 'a' },
  { input: '${FOO%}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO%%$BAR}', env: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy' },
  { input: '${FOO:#}', env: {}, error: true },
  { input: '${FOO:##}', env: {}, error: true },
  { input: '${FOO:%}', env: {}, error: true },
  { input: '${FOO:%%}', env: {}, error: true },
  {
    input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}',
    env: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' },
    expected: '/foo.*/*.txt - /foo..*.txt',
  },
  {
    input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}',
    env: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' },
    expected: '/tmp/bar.txt - /bar.txt',
  },
  {
    input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}',
    env: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' },
    expected: '/foo/b/c.txt - /foo/c.txt',
  },
  {
    input: '${FOO/$NEEDLE/$REPLACEMENT}',
    env: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' },
    expected: 'https://google.de',
  },
  { input: '${FOO//\\//\\/}', env: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt' },
  { input: '${FOO/$BAR/ww}', env: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy' },
  { input: '${FOO//ww}', env: { FOO: 'xxyy' }, error: true },
  { input: '${FOO//}', env: { FOO: 'xxyy' }, error: true },
  { input: '${FOO///}', env: { FOO: 'xxyy' }, expected: 'xxyy' },
  { input: '${FOO///}', env: {}, expected: '', unmatched: ['FOO'] },
  {
    input: 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    env: { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' },
    expected: 'something-v1.2.3.linux-arm-v7.tar.gz',
  },
  {
    input: 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    env: { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm64', TARGETVARIANT: '' },
    expected: 'something-v1.2.3.linux-arm64.tar.gz',
  },
];

describe('BuildKit TestProcessWithMatches cases', () => {
  for (const c of cases) {
    it(`${c.input} with ${JSON.stringify(c.env)}`, () => {
      if (c.error) {
        expect(() => expandWord(c.input, c.env)).toThrow(DockerfileError);
        return;
      }
      const r = expandWordWithMatches(c.input, c.env);
      expect(r.result).toBe(c.expected);
      if (c.matched) expect(r.matched.sort()).toEqual([...c.matched].sort());
      if (c.unmatched) expect(r.unmatched.sort()).toEqual([...c.unmatched].sort());
    });
  }
});

describe('expansion details', () => {
  it('${VAR:?message} carries the message, with variables expanded', () => {
    expect(() => expandWord('${VAR:?message here$ARG}', { VAR: '', ARG: 'x' })).toThrow(/message herex/);
    expect(() => expandWord('${VAR?message here$ARG}', { ARG: 'x' })).toThrow(/message herex/);
    expect(expandWord('${VAR?message here$ARG}', { VAR: '', ARG: 'x' })).toBe('');
  });
  it('uses the backtick escape token when asked', () => {
    expect(expandWord('a`$b', { b: 'x' }, { escapeToken: '`' })).toBe('a$b');
    expect(expandWord('a\\$b', { b: 'x' }, { escapeToken: '`' })).toBe('a\\x');
  });
  it('accepts KEY=value lists (the last one wins) and Maps', () => {
    expect(expandWord('$A', ['A=1', 'A=2'])).toBe('2');
    expect(expandWord('$A', new Map([['A', 'm']]))).toBe('m');
  });
  it('splits words after expansion, keeping quoted spaces', () => {
    expect(expandWords('a "$X" $X', { X: 'b  c' })).toEqual(['a', 'b  c', 'b', 'c']);
  });
  it('an error names the location it was given', () => {
    try {
      expandWord('${', {}, { location: { file: 'Dockerfile', line: 4, column: 7 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DockerfileError);
      expect((e as DockerfileError).message).toMatch(
        /^Dockerfile:4:7: expanding failed to process "\$\{": syntax error: missing '}'/,
      );
      expect((e as DockerfileError).code).toBe('EXPANSION');
    }
  });
});

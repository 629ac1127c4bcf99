import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher, ignoreFileCandidates } from './create-ignore-matcher.js';

/**
 * Expected results follow Docker's moby/patternmatcher: a path is excluded when the last pattern that
 * matches it or one of its parent directories is not a `!` pattern.
 */
const cases: Array<[string[], Record<string, boolean>]> = [
  [['dir', '!dir/keep'], { 'dir/keep': false, 'dir/other': true, dir: true }],
  [['*.md', '!README.md'], { 'README.md': false, 'a.md': true, 'docs/a.md': false }],
  [['**/*.go'], { 'a.go': true, 'x/y/a.go': true, 'x/a.txt': false }],
  [['*.go'], { 'a.go': true, 'x/a.go': false }],
  [['/foo'], { foo: true, 'foo/bar': true, 'x/foo': false }],
  [['foo/**'], { foo: false, 'foo/bar': true, 'foo/bar/baz': true }],
  [['foo/**/bar'], { 'foo/bar': true, 'foo/a/bar': true, 'foo/a/b/bar': true, 'foo/a/bar/c': true }],
  [['./foo/../bar'], { bar: true, foo: false }],
  [['a?c'], { abc: true, 'a/c': false }],
  [['[a-c]x'], { bx: true, dx: false }],
  [['\\*x'], { '*x': true, ax: false }],
  [['**'], { a: true, 'a/b': true }],
  [['*', '!keep'], { keep: false, x: true, 'keep/y': false }],
  [['foo/'], { foo: true, 'foo/x': true }],
  [['#comment', ' spaced ', ''], { '#comment': false, spaced: true }],
  [['a/*/c'], { 'a/b/c': true, 'a/b/d/c': false, 'a/b/c/d': true }],
  [['**/node_modules'], { node_modules: true, 'a/node_modules': true, 'a/node_modules/x': true }],
  [['!a', 'a'], { a: true }],
  [['a', '!a', 'a/b'], { 'a/b': true, 'a/c': false }],
  [['*/foo'], { 'a/foo': true, 'a/foo/b': true, 'a/b/foo': false, foo: false }],
  [['foo*'], { foo: true, foobar: true, 'foo/x': true, 'x/foo': false }],
  [['**/foo/**'], { 'foo/x': true, 'a/foo/x': true, foo: false, 'a/foo': false }],
  [['a/**/b/*.txt'], { 'a/b/x.txt': true, 'a/c/d/b/y.txt': true, 'a/b/c/x.txt': false }],
  [['.*'], { '.env': true, 'a/.env': false, '.git/x': true }],
  [['*', '!src/**', 'src/gen'], { 'src/a.ts': false, 'src/gen/b.ts': true, README: true }],
  // no pattern at all (comments and blank lines only): the matcher is skipped, nothing is excluded
  [['# nothing here', '', '  '], { a: false, '.git/x': false, 'x/y/z': false }],
];

describe('createIgnoreMatcher (Docker semantics)', () => {
  for (const [patterns, expected] of cases) {
    it(JSON.stringify(patterns), () => {
      const m = createIgnoreMatcher(patterns.join('\n'));
      const got = Object.fromEntries(Object.keys(expected).map((p) => [p, m.ignores(p)]));
      expect(got).toEqual(expected);
    });
  }
  it('records cleaned patterns with their lines, and treats CRLF like LF', () => {
    const m = createIgnoreMatcher('# c\r\n/a/./b/\r\n!c\r\n');
    expect(m.patterns).toEqual([
      { pattern: 'a/b', exclusion: false, line: 2 },
      { pattern: 'c', exclusion: true, line: 3 },
    ]);
    expect(m.ignores('a/b/x')).toBe(true);
    expect(m.ignores('./a/b')).toBe(true);
  });
  it('the context root itself is never ignored', () => {
    expect(createIgnoreMatcher('*').ignores('.')).toBe(false);
  });
  it('<Dockerfile>.dockerignore takes precedence over .dockerignore', () => {
    expect(ignoreFileCandidates('build/app.Dockerfile')).toEqual([
      'build/app.Dockerfile.dockerignore',
      '.dockerignore',
    ]);
  });
});

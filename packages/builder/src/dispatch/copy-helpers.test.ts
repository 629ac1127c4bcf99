import { describe, expect, it } from 'vitest';
import { applyChmod } from './chmod.js';
import { hasWildcard, matchSegment } from './path-match.js';
import { UserDatabase } from './user-database.js';

describe('path matching (Go filepath.Match semantics)', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*', '.hidden', true],
    ['b?r', 'bar', true],
    ['b?r', 'bear', false],
    ['arr[[]0].txt', 'arr[0].txt', true],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
  ])('%s ~ %s → %s', (pattern, name, expected) => {
    expect(matchSegment(pattern, name)).toBe(expected);
  });

  it('rejects malformed patterns and finds wildcards', () => {
    expect(() => matchSegment('[abc', 'a')).toThrow(/syntax error/);
    expect(hasWildcard('a/*.txt')).toBe(true);
    expect(hasWildcard('a/\\*.txt')).toBe(false);
  });
});

describe('--chmod', () => {
  it('octal replaces permission bits and keeps the file type', () => {
    expect(applyChmod({ kind: 'octal', mode: 0o751, text: '751' }, 0o100644, false)).toBe(0o100751);
  });
  it('symbolic modes apply clause by clause, X only for directories or executables', () => {
    const sym = (text: string, mode: number, dir = false) =>
      applyChmod({ kind: 'symbolic', text }, mode, dir) & 0o7777;
    expect(sym('u=rwx,g=rx,o=', 0o644)).toBe(0o750);
    expect(sym('go-w', 0o666)).toBe(0o644);
    expect(sym('a+X', 0o644)).toBe(0o644);
    expect(sym('a+X', 0o744)).toBe(0o755);
    expect(sym('a+X', 0o644, true)).toBe(0o755);
    expect(() => sym('q+r', 0o644)).toThrow(/invalid symbolic mode/);
  });
});

describe('user database', () => {
  const db = new UserDatabase(
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
    'root:x:0:\napp:x:1000:\nusers:x:100:app\n',
  );
  it('resolves names, ids and groups like Docker', () => {
    expect(db.resolve('app')).toMatchObject({ uid: 1000, gid: 1000, home: '/home/app' });
    expect(db.resolve('app', true).groups).toEqual([1000, 100]);
    expect(db.resolve('app:users')).toMatchObject({ uid: 1000, gid: 100 });
    expect(db.resolve('4242')).toMatchObject({ uid: 4242, gid: 4242 });
    expect(db.resolve('4242', true)).toMatchObject({ uid: 4242, gid: 0 });
    expect(db.resolve('4242:4343', true)).toMatchObject({ uid: 4242, gid: 4343 });
  });
  it('names that do not exist are errors', () => {
    expect(() => db.resolve('nobody')).toThrow(/unable to find user nobody/);
    expect(() => db.resolve('app:nogroup')).toThrow(/unable to find group nogroup/);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXattr, readXattrs, removeXattr, writeXattrs, xattrBackend } from './xattrs.js';

/** What an arm64 runner sees with the x64-only bundle: the binding's loader throws. */
const missingBinary = async () => {
  throw new Error('Cannot find native binding. npm has a bug related to optional dependencies');
};

describe('xattr backends', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xattrs-'));
    file = join(dir, 'f');
    await writeFile(file, 'x');
    await symlink('f', join(dir, 'link'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the native binding where it loads', async () => {
    expect((await xattrBackend()).kind).toBe('native');
  });

  it('without the native binary: getfattr/setfattr, same values as the native binding reads', async () => {
    const tools = await xattrBackend({ loadNative: missingBinary });
    expect(tools.kind).toBe('attr-tools');
    expect(tools.reason).toMatch(/getfattr\/setfattr \(no native binding for linux-/);
    const values = new Map([
      ['user.binary', Buffer.from([0, 1, 2, 255, 10, 61])],
      ['user.text', Buffer.from('a "quoted" = value\n')],
      ['trusted.kaniko', Buffer.from('root only')],
    ]);
    await writeXattrs(file, values, tools);
    expect(await readXattrs(file, tools)).toEqual(new Map([...values].sort(([a], [b]) => (a < b ? -1 : 1))));
    // cross-check with the other implementation in both directions
    const native = await xattrBackend();
    expect(await readXattrs(file, native)).toEqual(await readXattrs(file, tools));
    await native.set(file, 'user.from-native', Buffer.from('n'));
    expect((await readXattr(file, 'user.from-native', tools))?.toString()).toBe('n');
    expect(await readXattr(file, 'user.absent', tools)).toBeNull();
    await removeXattr(file, 'user.from-native', tools);
    expect(await readXattr(file, 'user.from-native', native)).toBeNull();
    // symlinks are not followed: the link itself has no user.* attributes
    expect([...(await readXattrs(join(dir, 'link'), tools)).keys()]).toEqual([]);
    // and getfattr agrees with what was written
    const dump = execFileSync('getfattr', ['--absolute-names', '-d', '-m', 'user.text', '-e', 'hex', file], {
      encoding: 'utf8',
    });
    expect(dump).toContain(`user.text=0x${Buffer.from('a "quoted" = value\n').toString('hex')}`);
  });

  it('without the binary and without getfattr: xattrs skipped, with a reason that says what to install', async () => {
    const none = await xattrBackend({ loadNative: missingBinary, toolDirs: [join(dir, 'no-tools')] });
    expect(none.kind).toBe('none');
    expect(none.reason).toMatch(/not read or written: no native binding .*install Debian package attr/);
    expect(await readXattrs(file, none)).toEqual(new Map());
    await writeXattrs(file, new Map([['user.skipped', Buffer.from('v')]]), none);
    expect(await readXattr(file, 'user.skipped', await xattrBackend())).toBeNull();
  });
});

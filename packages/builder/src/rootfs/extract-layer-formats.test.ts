import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getAttribute } from '@napi-rs/xattr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarOf } from '../../test/tar-of.js';
import { extractLayer } from './extract-layer.js';

// Round trips through GNU tar and the tar formats extraction reads; the hostile-layer and whiteout
// cases are in extract-layer.test.ts.

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-extract-'));
  root = join(base, 'root');
  await mkdir(root);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('extractLayer round trip', () => {
  it('restores every attribute of a tree packed by GNU tar', async () => {
    const src = join(base, 'src');
    await mkdir(join(src, 'dir/sub'), { recursive: true });
    await writeFile(join(src, 'dir/file'), 'hello');
    await writeFile(join(src, 'dir/setuid'), '#!/bin/sh\n');
    await writeFile(join(src, 'dir/cap'), 'bin');
    await symlink('file', join(src, 'dir/link'));
    await symlink('/nowhere/dangling', join(src, 'dir/dangling'));
    const sh = (cmd: string) => execFileSync('sh', ['-ec', cmd], { cwd: src });
    sh('ln dir/file dir/hard');
    sh('mkdir -m 1777 tmp && chmod 4755 dir/setuid && chmod 2750 dir/sub');
    sh('chown 1234:5678 dir/file && chown -h 42:43 dir/link && chown 7:8 dir/sub');
    sh('mknod dir/null c 1 3 && mknod dir/blk b 7 99 && mkfifo dir/fifo');
    sh('setfattr -n user.note -v hello dir/file');
    sh(
      'setcap cap_net_bind_service,cap_setuid+ep dir/cap 2>/dev/null || setfattr -n security.capability -v 0x0100000280000000000000000000000000000000 dir/cap',
    );
    sh('touch -h -d @1500000000 dir/link dir/dangling dir/file dir/setuid dir/cap dir/null dir/blk dir/fifo');
    sh('touch -d @1400000000 dir/sub tmp && touch -d @1300000000 dir');
    const tarPath = join(base, 'layer.tar');
    execFileSync('tar', [
      '--xattrs',
      '--xattrs-include=*',
      '--numeric-owner',
      '-C',
      src,
      '-cf',
      tarPath,
      '.',
    ]);
    // root is a sibling of src: extract, then compare every attribute path by path
    await extractLayer(root, createReadStream(tarPath));
    const paths = [
      'dir',
      'dir/sub',
      'dir/file',
      'dir/hard',
      'dir/setuid',
      'dir/cap',
      'dir/link',
      'dir/dangling',
      'dir/null',
      'dir/blk',
      'dir/fifo',
      'tmp',
    ];
    for (const p of paths) {
      const a = await lstat(join(src, p), { bigint: false });
      const b = await lstat(join(root, p));
      expect({
        p,
        mode: b.mode,
        uid: b.uid,
        gid: b.gid,
        rdev: b.rdev,
        size: b.size,
        mtime: b.mtimeMs,
      }).toEqual({
        p,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
        size: a.size,
        mtime: a.mtimeMs,
      });
    }
    expect((await lstat(join(root, 'dir/file'))).ino).toBe((await lstat(join(root, 'dir/hard'))).ino);
    expect(await readFile(join(root, 'dir/file'), 'utf8')).toBe('hello');
    expect(await readlink(join(root, 'dir/dangling'))).toBe('/nowhere/dangling');
    expect((await getAttribute(join(root, 'dir/file'), 'user.note'))?.toString()).toBe('hello');
    const capSrc = await getAttribute(join(src, 'dir/cap'), 'security.capability');
    expect(capSrc).not.toBeNull();
    expect(await getAttribute(join(root, 'dir/cap'), 'security.capability')).toEqual(capSrc);
  });
});

describe('extractLayer formats and options', () => {
  it('reads GNU long names and base-256 ids, and PAX long names, from GNU tar', async () => {
    const src = join(base, 'src');
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(90)}`;
    await mkdir(join(src, long), { recursive: true });
    await writeFile(join(src, long, 'leaf'), 'deep');
    await symlink(join('/', long, 'leaf'), join(src, 'longlink'));
    execFileSync('chown', ['3000000:4000000', join(src, long, 'leaf')]);
    for (const format of ['gnu', 'posix']) {
      const tarPath = join(base, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--numeric-owner', '-C', src, '-cf', tarPath, '.']);
      const out = join(base, `out-${format}`);
      await mkdir(out);
      await extractLayer(out, createReadStream(tarPath));
      const st = await lstat(join(out, long, 'leaf'));
      expect({ format, uid: st.uid, gid: st.gid }).toEqual({ format, uid: 3_000_000, gid: 4_000_000 });
      expect(await readFile(join(out, long, 'leaf'), 'utf8')).toBe('deep');
      expect(await readlink(join(out, 'longlink'))).toBe(join('/', long, 'leaf'));
      await rm(out, { recursive: true });
    }
  });

  it('leaves ignored paths alone, and treats .wh. names as files when whiteouts are off', async () => {
    await mkdir(join(root, 'proc'));
    await writeFile(join(root, 'proc', 'keep'), 'host-ish');
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: 'proc/injected', body: 'x' },
          { name: '.wh.proc' },
          { name: 'proc/.wh.keep' },
          { name: 'ok', body: 'ok' },
        ]),
      ]),
      { ignore: (rel) => rel === 'proc' || rel.startsWith('proc/') },
    );
    expect((await readdir(join(root, 'proc'))).sort()).toEqual(['keep']);
    expect(await readFile(join(root, 'ok'), 'utf8')).toBe('ok');
    await extractLayer(root, Readable.from([tarOf([{ name: '.wh.ok', body: 'plain' }])]), {
      whiteouts: false,
    });
    expect(await readFile(join(root, '.wh.ok'), 'utf8')).toBe('plain');
    expect(await readFile(join(root, 'ok'), 'utf8')).toBe('ok');
  });
});

import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getAttribute } from '@napi-rs/xattr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostileLayers } from '../../testdata/hostile/hostile-layers.mjs';
import { BuilderError } from '../builder-error.js';
import { extractLayer } from './extract-layer.js';
import { encodeTarHeader, type TarWriteHeader, tarPadding, tarTrailer } from './tar-writer.js';

type E = Partial<TarWriteHeader> & { name: string; body?: Buffer | string; truncateAt?: number };

/** Builds a tar in memory from entries (hostile ones included: the writer does not sanitise names). */
function tarOf(entries: E[], trailer = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const type = e.type ?? 'file';
    parts.push(
      encodeTarHeader({
        type,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_600_000_000,
        ...e,
        size: e.size ?? (type === 'file' ? body.length : 0),
      }),
    );
    if (e.truncateAt !== undefined) {
      parts.push(body.subarray(0, e.truncateAt));
      return Buffer.concat(parts);
    }
    if (type === 'file') parts.push(body, tarPadding(body.length));
  }
  if (trailer) parts.push(tarTrailer());
  return Buffer.concat(parts);
}

let base: string;
let root: string;
let sentinel: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-extract-'));
  root = join(base, 'root');
  sentinel = join(base, 'sentinel');
  await mkdir(root);
  await mkdir(sentinel);
  await writeFile(join(sentinel, 'keep'), 'original');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function sentinelUntouched(): Promise<void> {
  expect((await readdir(sentinel)).sort()).toEqual(['keep']);
  expect(await readFile(join(sentinel, 'keep'), 'utf8')).toBe('original');
  expect((await readdir(base)).sort()).toEqual(['root', 'sentinel']);
}

async function expectRefused(tar: Buffer, entry: string, code: string): Promise<void> {
  const error = await extractLayer(root, Readable.from([tar])).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BuilderError);
  expect((error as BuilderError).code).toBe(code);
  expect((error as BuilderError).entry).toBe(entry);
  expect((error as BuilderError).message).toContain(entry);
}

describe('extractLayer against hostile layers', () => {
  it('refuses path traversal with .. and names the entry', async () => {
    await expectRefused(
      tarOf([{ name: '../sentinel/keep', body: 'pwned' }]),
      '../sentinel/keep',
      'UNSAFE_LAYER_ENTRY',
    );
    await expectRefused(
      tarOf([{ name: 'a/../../sentinel/x', body: 'pwned' }]),
      'a/../../sentinel/x',
      'UNSAFE_LAYER_ENTRY',
    );
    await sentinelUntouched();
  });

  it('contains absolute names inside the root', async () => {
    await extractLayer(root, Readable.from([tarOf([{ name: `${sentinel}/keep`, body: 'contained' }])]));
    await sentinelUntouched();
    expect(await readFile(join(root, sentinel, 'keep'), 'utf8')).toBe('contained');
  });

  it('contains a symlinked parent directory pointing outside (relative and absolute)', async () => {
    const tar = tarOf([
      { name: 'rel', type: 'symlink', linkname: '../../sentinel' },
      { name: 'abs', type: 'symlink', linkname: sentinel },
      { name: 'rel/keep', body: 'pwned-rel' },
      { name: 'abs/keep', body: 'pwned-abs' },
      { name: 'abs/deeper/new', body: 'pwned-new' },
    ]);
    await extractLayer(root, Readable.from([tar]));
    await sentinelUntouched();
    // the links stay links, and what went through them landed inside the root
    expect(await readlink(join(root, 'rel'))).toBe('../../sentinel');
    expect(await readFile(join(root, 'sentinel', 'keep'), 'utf8')).toBe('pwned-rel');
    expect(await readFile(join(root, sentinel, 'keep'), 'utf8')).toBe('pwned-abs');
    expect(await readFile(join(root, sentinel, 'deeper', 'new'), 'utf8')).toBe('pwned-new');
  });

  it('replaces a final symlink instead of writing through it', async () => {
    const tar = tarOf([
      { name: 'link', type: 'symlink', linkname: join(sentinel, 'keep') },
      { name: 'link', body: 'replaced' },
    ]);
    await extractLayer(root, Readable.from([tar]));
    await sentinelUntouched();
    expect((await lstat(join(root, 'link'))).isFile()).toBe(true);
    expect(await readFile(join(root, 'link'), 'utf8')).toBe('replaced');
  });

  it('refuses hardlinks out of the root and contains hardlinks through symlinks', async () => {
    await expectRefused(
      tarOf([{ name: 'hl', type: 'hardlink', linkname: '../sentinel/keep' }]),
      'hl',
      'UNSAFE_LAYER_ENTRY',
    );
    await rm(root, { recursive: true });
    await mkdir(root);
    // a hardlink whose target goes through a symlink to the outside is resolved inside the root,
    // where the target does not exist: refused, and no link to the host file exists
    await expectRefused(
      tarOf([
        { name: 'out', type: 'symlink', linkname: sentinel },
        { name: 'hl', type: 'hardlink', linkname: 'out/keep' },
      ]),
      'hl',
      'INVALID_LAYER',
    );
    expect((await lstat(join(sentinel, 'keep'))).nlink).toBe(1);
    await sentinelUntouched();
  });

  it('refuses a whiteout that climbs out and never deletes outside through a symlinked parent', async () => {
    await expectRefused(
      tarOf([{ name: '../sentinel/.wh.keep' }]),
      '../sentinel/.wh.keep',
      'UNSAFE_LAYER_ENTRY',
    );
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: 'out', type: 'symlink', linkname: sentinel },
          { name: 'out/.wh.keep' },
          { name: 'out2', type: 'symlink', linkname: '../sentinel' },
          { name: 'out2/.wh..wh..opq' },
        ]),
      ]),
    );
    await sentinelUntouched();
  });

  it('bounds giant sizes by what the stream holds and by limits, naming the entry', async () => {
    // header claims 1 TiB; the stream ends after 10 bytes
    const giant = tarOf([{ name: 'giant', size: 2 ** 40, body: 'x'.repeat(10), truncateAt: 10 }], false);
    await expectRefused(giant, 'giant', 'INVALID_LAYER');
    await expect(lstat(join(root, 'giant'))).rejects.toThrow(/ENOENT/);
    const error = await extractLayer(
      root,
      Readable.from([tarOf([{ name: 'big', body: Buffer.alloc(4096) }])]),
      {
        maxEntrySize: 1024,
      },
    ).catch((e: BuilderError) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect((error as BuilderError).code).toBe('LAYER_TOO_LARGE');
    expect((error as BuilderError).entry).toBe('big');
    await sentinelUntouched();
  });

  it('refuses a file under a parent that is a regular file', async () => {
    await expectRefused(
      tarOf([
        { name: 'f', body: 'x' },
        { name: 'f/child', body: 'y' },
      ]),
      'f/child',
      'UNSAFE_PATH',
    );
  });
});

describe('extractLayer against the shared hostile-layer fixtures', () => {
  it('refuses or contains every one, writing nothing outside the root', async () => {
    const layers = hostileLayers(sentinel);
    expect(layers.length).toBeGreaterThanOrEqual(10);
    for (const layer of layers) {
      await rm(root, { recursive: true, force: true });
      await mkdir(root);
      const error = await extractLayer(root, Readable.from([layer.tar])).then(
        () => null,
        (e: unknown) => e,
      );
      if (layer.expect === 'refused') {
        expect(error, layer.name).toBeInstanceOf(BuilderError);
        expect({
          name: layer.name,
          code: (error as BuilderError).code,
          entry: (error as BuilderError).entry,
        }).toEqual({
          name: layer.name,
          code: layer.code,
          entry: layer.entry,
        });
        expect((error as BuilderError).message).toContain(layer.entry);
      } else {
        expect(error, layer.name).toBeNull();
      }
      await sentinelUntouched();
    }
  });
});

describe('extractLayer whiteouts', () => {
  it('applies whiteouts and opaque whiteouts only to lower layers', async () => {
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: 'd', type: 'directory', mode: 0o755 },
          { name: 'd/old', body: 'old' },
          { name: 'd/sub', type: 'directory', mode: 0o755 },
          { name: 'd/sub/deep', body: 'deep' },
          { name: 'gone', body: 'x' },
          { name: 'gonedir', type: 'directory', mode: 0o755 },
          { name: 'gonedir/x', body: 'x' },
        ]),
      ]),
    );
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: '.wh.gone' },
          { name: '.wh.gonedir' },
          { name: 'd', type: 'directory', mode: 0o755 },
          { name: 'd/new', body: 'new' }, // written before the opaque marker: must survive it
          { name: 'd/.wh..wh..opq' },
          { name: 'd/sub', type: 'directory', mode: 0o755 },
          { name: 'd/sub/fresh', body: 'fresh' },
        ]),
      ]),
    );
    expect((await readdir(root)).sort()).toEqual(['d']);
    expect((await readdir(join(root, 'd'))).sort()).toEqual(['new', 'sub']);
    expect(await readdir(join(root, 'd', 'sub'))).toEqual(['fresh']);
  });

  it('replaces a directory by a file and a file by a directory', async () => {
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: 'a', type: 'directory', mode: 0o755 },
          { name: 'a/x', body: 'x' },
          { name: 'b', body: 'b' },
        ]),
      ]),
    );
    await extractLayer(
      root,
      Readable.from([
        tarOf([
          { name: 'a', body: 'now a file' },
          { name: 'b', type: 'directory', mode: 0o700 },
        ]),
      ]),
    );
    expect(await readFile(join(root, 'a'), 'utf8')).toBe('now a file');
    expect((await lstat(join(root, 'b'))).isDirectory()).toBe(true);
  });
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

import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarOf } from '../../test/tar-of.js';
import { hostileLayers } from '../../testdata/hostile/hostile-layers.mjs';
import { BuilderError } from '../builder-error.js';
import { extractLayer } from './extract-layer.js';

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

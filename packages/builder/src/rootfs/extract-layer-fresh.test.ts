// A layer applied to an empty root skips the lstat of paths it has not written and the chown of
// files that already have the owner asked for: these tests hold that shortcut to the general path.
import { createHash } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TarOfEntry, tarOf } from '../../test/tar-of.js';
import { extractLayer } from './extract-layer.js';

let base: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-extract-fresh-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** path → type, mode, owner, size, content hash or link target, mtime: everything extraction sets. */
async function describeTree(root: string, skip: string[] = []): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (skip.includes(child)) continue;
      const abs = join(root, child);
      const st = await lstat(abs);
      let what = '';
      if (st.isSymbolicLink()) what = `-> ${await readlink(abs)}`;
      else if (st.isFile())
        what = createHash('sha256')
          .update(await readFile(abs))
          .digest('hex');
      const mtime = st.isSymbolicLink() || st.isDirectory() ? '' : ` t=${st.mtimeMs}`;
      out[child] = `${st.mode.toString(8)} ${st.uid}:${st.gid} n=${st.nlink} ${st.size} ${what}${mtime}`;
      if (st.isDirectory()) await walk(child);
    }
  };
  await walk('');
  return out;
}

/** Entries that exercise every way a path can already exist while a layer is applied. */
const LAYER: TarOfEntry[] = [
  { name: 'a/', type: 'directory', mode: 0o755 },
  { name: 'a/x', body: 'first' },
  { name: 'a/x', body: 'second, replacing the first', uid: 1000, gid: 1000 },
  { name: 'b/', type: 'directory', mode: 0o700 },
  { name: 'b/inner', body: 'gone with b' },
  { name: 'b', body: 'b is a file now', mode: 0o600 },
  { name: 'c', body: 'c is a directory next' },
  { name: 'c/', type: 'directory', mode: 0o750, uid: 3, gid: 4 },
  { name: 'l', type: 'symlink', linkname: 'a' },
  { name: 'l/y', body: 'through the symlink' },
  { name: 'h', type: 'hardlink', linkname: 'a/x' },
  { name: 'z', body: 'whiteouts only hide lower layers' },
  { name: '.wh.z' },
  { name: 'deep/er/file', body: 'parents made on the way', mode: 0o4755 },
  { name: 'deep/', type: 'directory', mode: 0o711, uid: 5, gid: 6 },
  { name: 'sg/', type: 'directory', mode: 0o2775, gid: 50 },
  { name: 'sg/root-owned', body: 'asks for 0:0', uid: 0, gid: 0 },
  { name: 'sg/other', body: 'asks for 7:8', uid: 7, gid: 8 },
  { name: 'after-sg', body: 'asks for 0:0 too', uid: 0, gid: 0 },
  { name: 'p', type: 'fifo', mode: 0o644 },
];

describe('extractLayer into an empty root (no lstat of unwritten paths, no needless chown)', () => {
  it('gives the same tree as the general path, entry for entry', async () => {
    const fresh = join(base, 'fresh');
    const used = join(base, 'used');
    await mkdir(fresh);
    await mkdir(used);
    await writeFile(join(used, 'unrelated'), 'makes this root not empty');
    const tar = tarOf(LAYER);
    await extractLayer(fresh, Readable.from([tar]));
    await extractLayer(used, Readable.from([tar]));
    const freshTree = await describeTree(fresh);
    expect(freshTree).toEqual(await describeTree(used, ['unrelated']));
    // and the tree is the one the entries ask for
    expect(await readFile(join(fresh, 'a/x'), 'utf8')).toBe('second, replacing the first');
    expect(await readFile(join(fresh, 'a/y'), 'utf8')).toBe('through the symlink');
    expect(await readFile(join(fresh, 'b'), 'utf8')).toBe('b is a file now');
    expect((await lstat(join(fresh, 'c'))).isDirectory()).toBe(true);
    expect((await lstat(join(fresh, 'h'))).ino).toBe((await lstat(join(fresh, 'a/x'))).ino);
    expect(await readFile(join(fresh, 'z'), 'utf8')).toBe('whiteouts only hide lower layers');
    expect((await lstat(join(fresh, 'deep/er/file'))).mode & 0o7777).toBe(0o4755);
    expect(Object.keys(freshTree)).toContain('p');
  });

  it('a file in a setgid directory gets the group its entry names, not the directory’s', async () => {
    const root = join(base, 'root');
    await mkdir(root);
    await extractLayer(root, Readable.from([tarOf(LAYER)]));
    const owner = async (rel: string) => {
      const st = await lstat(join(root, rel));
      return `${st.uid}:${st.gid}`;
    };
    expect(await owner('sg')).toBe('0:50');
    expect(await owner('sg/root-owned')).toBe('0:0');
    expect(await owner('sg/other')).toBe('7:8');
    expect(await owner('after-sg')).toBe('0:0');
    expect(await owner('a/x')).toBe('1000:1000');
    expect(await owner('c')).toBe('3:4');
  });

  it('an empty root that is itself setgid still gets the owners the entries name', async () => {
    const root = join(base, 'root');
    await mkdir(root);
    await chown(root, 0, 50);
    await chmod(root, 0o2755);
    const tar = tarOf([
      { name: 'f', body: 'asks for 0:0', uid: 0, gid: 0 },
      { name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
      { name: 'd/g', body: 'asks for 0:0', uid: 0, gid: 0 },
      { name: 'made/on/the/way', body: 'parents made in a setgid root' },
    ]);
    await extractLayer(root, Readable.from([tar]));
    for (const rel of ['f', 'd', 'd/g', 'made/on/the/way'])
      expect((await lstat(join(root, rel))).gid, rel).toBe(0);
  });

  it('bodies split across source chunks of any size come out whole', async () => {
    const big = Buffer.alloc(3000, 7);
    const tar = tarOf([
      { name: 'one', body: 'x' },
      { name: 'big', body: big },
      { name: 'empty', body: '' },
      { name: 'last', body: 'tail' },
    ]);
    for (const size of [1, 7, 511, 513, 4096]) {
      const root = join(base, `chunks-${size}`);
      await mkdir(root);
      const chunks: Buffer[] = [];
      for (let i = 0; i < tar.length; i += size) chunks.push(tar.subarray(i, i + size));
      await extractLayer(root, Readable.from(chunks));
      expect(await readFile(join(root, 'one'), 'utf8'), `chunks of ${size}`).toBe('x');
      expect((await readFile(join(root, 'big'))).equals(big), `chunks of ${size}`).toBe(true);
      expect(await readFile(join(root, 'empty'), 'utf8'), `chunks of ${size}`).toBe('');
      expect(await readFile(join(root, 'last'), 'utf8'), `chunks of ${size}`).toBe('tail');
    }
  });
});

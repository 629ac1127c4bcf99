import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Layer, layerFromFile } from '@kaniko-ts/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractLayer } from '../rootfs/extract-layer.js';
import { readTar } from '../rootfs/tar-reader.js';
import { encodeTarHeader, tarPadding, tarTrailer } from '../rootfs/tar-writer.js';
import { squashLayers } from './squash-layers.js';

type Entry =
  | { name: string; dir: true; mode?: number }
  | { name: string; file: string; mode?: number; uid?: number }
  | { name: string; link: string }
  | { name: string; hardlink: string };

function tar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const base = { name: e.name, uid: 0, gid: 0, mtime: 1_700_000_000 };
    if ('dir' in e)
      parts.push(encodeTarHeader({ ...base, type: 'directory', mode: e.mode ?? 0o755, size: 0 }));
    else if ('link' in e)
      parts.push(encodeTarHeader({ ...base, type: 'symlink', mode: 0o777, size: 0, linkname: e.link }));
    else if ('hardlink' in e)
      parts.push(encodeTarHeader({ ...base, type: 'hardlink', mode: 0o644, size: 0, linkname: e.hardlink }));
    else {
      const body = Buffer.from(e.file);
      parts.push(
        encodeTarHeader({ ...base, uid: e.uid ?? 0, type: 'file', mode: e.mode ?? 0o644, size: body.length }),
        body,
        tarPadding(body.length),
      );
    }
  }
  parts.push(tarTrailer());
  return Buffer.concat(parts);
}

/** Every path under `dir` with type, mode, owner and content or target. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      const what = st.isFile()
        ? createHash('sha256')
            .update(readFileSync(join(dir, r)))
            .digest('hex')
            .slice(0, 8)
        : st.isSymbolicLink()
          ? `-> ${readlinkSync(join(dir, r))}`
          : 'dir';
      out[r] = `${(st.mode & 0o7777).toString(8)} ${st.uid} ${what}`;
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

describe('squashLayers (--single-snapshot)', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'squash-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const layer = async (name: string, entries: Entry[]): Promise<Layer> => {
    const path = join(work, `${name}.tar`);
    await writeFile(path, tar(entries));
    return layerFromFile(path, { compression: 'none' });
  };
  const apply = async (root: string, layers: Layer[]) => {
    await mkdir(root, { recursive: true });
    for (const l of layers) await extractLayer(root, await l.uncompressed());
  };

  it('gives the file system the layers give, over the same base (whiteouts, opaque dirs, type changes)', async () => {
    const base = await layer('base', [
      { name: 'etc/', dir: true },
      { name: 'etc/keep', file: 'base keep' },
      { name: 'etc/gone', file: 'deleted by layer 1' },
      { name: 'opt/', dir: true },
      { name: 'opt/old-a', file: 'hidden by an opaque dir' },
      { name: 'opt/old-b', file: 'hidden too' },
      { name: 'var/', dir: true },
      { name: 'var/becomes-file/', dir: true },
      { name: 'var/becomes-file/child', file: 'dropped with its dir' },
      { name: 'bin/', dir: true },
      { name: 'bin/tool', file: 'v1' },
    ]);
    const layers = [
      await layer('l1', [
        { name: 'etc/', dir: true },
        { name: 'etc/.wh.gone', file: '' },
        { name: 'etc/new', file: 'added then replaced' },
        { name: 'tmpdir/', dir: true },
        { name: 'tmpdir/a', file: 'added then whited out with its dir' },
        { name: 'bin/', dir: true },
        { name: 'bin/tool', file: 'v2' },
        { name: 'bin/tool-link', hardlink: 'bin/tool' },
      ]),
      await layer('l2', [
        { name: 'opt/', dir: true },
        { name: 'opt/.wh..wh..opq', file: '' },
        { name: 'opt/fresh', file: 'only this in opt' },
        { name: 'etc/', dir: true },
        { name: 'etc/new', file: 'second version', mode: 0o600 },
        { name: '.wh.tmpdir', file: '' },
        { name: 'var/', dir: true },
        { name: 'var/.wh.becomes-file', file: '' },
      ]),
      await layer('l3', [
        { name: 'var/', dir: true },
        { name: 'var/becomes-file', file: 'now a file', uid: 7 },
        { name: 'etc/', dir: true },
        { name: 'etc/gone', file: 'recreated after the whiteout' },
        { name: 'etc/keep', link: '/etc/new' },
      ]),
    ];
    const squashedPath = join(work, 'squashed.tar');
    await squashLayers(layers, squashedPath);
    const squashed = await layerFromFile(squashedPath, { compression: 'none' });

    await apply(join(work, 'expected'), [base, ...layers]);
    await apply(join(work, 'actual'), [base, squashed]);
    const expected = listing(join(work, 'expected'));
    expect(listing(join(work, 'actual'))).toEqual(expected);
    // spot checks, so the comparison cannot pass on two equally wrong trees
    expect(Object.keys(expected).filter((p) => p.startsWith('opt/'))).toEqual(['opt/fresh']);
    expect(expected['var/becomes-file']).toMatch(/^644 7 /);
    expect(expected.tmpdir).toBeUndefined();

    const names: string[] = [];
    for await (const e of readTar(createReadStream(squashedPath))) {
      names.push(e.header.name);
      for await (const _ of e.body()) {
        // drain
      }
    }
    // whiteouts first (they hide base files), and no entry the later layers replaced or removed
    expect(names.slice(0, 4)).toEqual([
      '.wh.tmpdir',
      'etc/.wh.gone',
      'opt/.wh..wh..opq',
      'var/.wh.becomes-file',
    ]);
    expect(names.filter((n) => n === 'etc/new')).toHaveLength(1);
    expect(names).not.toContain('tmpdir/a');
    expect(names).not.toContain('opt/old-a');
  });

  it('streams: one layer in, the same entries out', async () => {
    const one = await layer('single', [
      { name: 'a/', dir: true },
      { name: 'a/b', file: 'x' },
    ]);
    const out = join(work, 'single-out.tar');
    await squashLayers([one], out);
    const names: string[] = [];
    for await (const e of readTar(Readable.from([readFileSync(out)]))) {
      names.push(e.header.name);
      for await (const _ of e.body()) {
        // drain
      }
    }
    expect(names).toEqual(['a/', 'a/b']);
  });
});

import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDockerArchive, readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { readAll } from './internal/streams.js';
import { indexTar } from './internal/tar-index.js';
import { randomImage } from './random-image.js';
import { validateImage } from './validate.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-archive-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Lists member names with an independent tar reader (tar-stream). */
async function members(path: string): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  extract.on('entry', (h, stream, next) => {
    names.push(h.name);
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise((resolve, reject) => {
    extract.on('finish', () => resolve(undefined));
    extract.on('error', reject);
  });
  createReadStream(path).pipe(extract);
  await done;
  return names;
}

describe('docker archive', () => {
  it('stores config and uncompressed layers named by digest, plus manifest.json', async () => {
    const img = await randomImage({ layers: 2, sizePerLayer: 3000 });
    const path = join(dir, 'a.tar');
    const entry = await writeDockerArchive(path, img, { tags: ['a:1', 'a:latest'] });
    const diffIds = (await img.config()).rootfs.diff_ids;
    expect(entry.Layers).toEqual(diffIds.map((d) => `blobs/sha256/${d.slice(7)}`));
    expect(await listDockerArchive(path)).toEqual([entry]);
    expect(await members(path)).toEqual([
      'blobs/',
      'blobs/sha256/',
      entry.Config,
      ...entry.Layers,
      'manifest.json',
    ]);
    const back = await readDockerArchive(path, { tag: 'a:latest' });
    await validateImage(back);
    expect((await back.manifest()).layers.map((l) => l.digest)).toEqual(diffIds);
    await expect(readDockerArchive(path, { tag: 'b:1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is deterministic and can write to a stream', async () => {
    const img = await randomImage({ layers: 1, sizePerLayer: 100 });
    const a = new PassThrough();
    const b = new PassThrough();
    const [, , bytesA, bytesB] = await Promise.all([
      writeDockerArchive(a, img),
      writeDockerArchive(b, img),
      readAll(a),
      readAll(b),
    ]);
    expect(Buffer.from(bytesA).equals(Buffer.from(bytesB))).toBe(true);
    expect(bytesA.byteLength % 512).toBe(0);
  });

  it('fails with DIGEST_MISMATCH when a stored layer is corrupt', async () => {
    const img = await randomImage({ layers: 1, sizePerLayer: 3000 });
    const path = join(dir, 'corrupt.tar');
    const entry = await writeDockerArchive(path, img);
    const m = (await indexTar(path)).get(entry.Layers[0]!)!;
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from([0x42]), 0, 1, m.offset + m.size - 700);
    await fh.close();
    const back = await readDockerArchive(path);
    const layer = (await back.layers())[0]!;
    await expect(readAll(await layer.uncompressed())).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('handles long member names (pax/GNU headers)', async () => {
    const path = join(dir, 'long.tar');
    const pack = tar.pack();
    const long = `${'d'.repeat(120)}/file.txt`;
    pack.entry({ name: long }, 'hello');
    pack.finalize();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, await readAll(pack));
    const idx = await indexTar(path);
    const m = idx.get(long)!;
    expect(m.size).toBe(5);
  });

  it('rejects a file that is not a docker archive', async () => {
    const path = join(dir, 'not.tar');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, Buffer.alloc(1024));
    await expect(readDockerArchive(path)).rejects.toMatchObject({ code: 'INVALID_ARCHIVE' });
  });
});

import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll } from './internal/streams.js';
import {
  createGzipPool,
  layerFromBytes,
  layerFromCompressedFile,
  layerFromFile,
  layerFromStream,
} from './layer-from-stream.js';
import { randomLayerTar } from './random-image.js';

const hex = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let dir: string;
let tar: Uint8Array;
let tarPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-layer-'));
  tar = await randomLayerTar(3, 0, 300_000);
  tarPath = join(dir, 'in.tar');
  await writeFile(tarPath, tar);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each(['gzip', 'zstd', 'none'] as const)('layerFromFile with %s', (compression) => {
  it('computes diffID of the tar and digest/size of the stored blob in one pass', async () => {
    const layer = await layerFromFile(tarPath, { compression, dir });
    const stored = await readAll(await layer.compressed());
    expect(await layer.diffId()).toBe(hex(tar));
    expect(layer.descriptor().digest).toBe(hex(stored));
    expect(layer.descriptor().size).toBe(stored.byteLength);
    expect(Buffer.from(await readAll(await layer.uncompressed())).equals(Buffer.from(tar))).toBe(true);
    expect(await layer.uncompressedSize?.()).toBe(tar.byteLength);
    if (compression === 'gzip') expect(zlib.gunzipSync(stored).equals(Buffer.from(tar))).toBe(true);
    if (compression === 'zstd') expect(zlib.zstdDecompressSync(stored).equals(Buffer.from(tar))).toBe(true);
    if (compression !== 'none') expect(stored.byteLength).not.toBe(tar.byteLength);
  });

  it('is reproducible: same input, same digest', async () => {
    const a = await layerFromStream(Readable.from([Buffer.from(tar)]), { compression, dir });
    const b = await layerFromFile(tarPath, { compression, dir: await mkdtemp(join(dir, 'b-')) });
    expect(a.descriptor().digest).toBe(b.descriptor().digest);
  });

  it('agrees with the in-memory path', async () => {
    const a = await layerFromFile(tarPath, { compression, dir });
    const b = await layerFromBytes(tar, { compression });
    expect(b.descriptor()).toEqual(a.descriptor());
    expect(await b.diffId()).toBe(await a.diffId());
  });
});

describe('gzip header', () => {
  it('has mtime 0, no file name and OS byte 255, like Go writers', async () => {
    const layer = await layerFromFile(tarPath, { compression: 'gzip', dir });
    const stored = await readAll(await layer.compressed());
    expect([...stored.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // no FNAME flag
    expect([...stored.subarray(4, 8)]).toEqual([0, 0, 0, 0]); // mtime
    expect(stored[9]).toBe(0xff);
  });
  it('honours the level', async () => {
    const fast = await layerFromFile(tarPath, { compression: 'gzip', level: 1, dir });
    const best = await layerFromFile(tarPath, { compression: 'gzip', level: 9, dir });
    expect(fast.descriptor().digest).not.toBe(best.descriptor().digest);
    expect(await fast.diffId()).toBe(await best.diffId());
  });
});

describe('options', () => {
  it('writes to a caller-supplied path', async () => {
    const path = join(dir, 'exact.tgz');
    const layer = await layerFromStream(Readable.from([Buffer.from(tar)]), { path });
    expect(hex(await readFile(path))).toBe(layer.descriptor().digest);
  });
  it('rejects a media type that contradicts the compression', async () => {
    await expect(
      layerFromFile(tarPath, {
        compression: 'zstd',
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        dir,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
  it('makes opaque artifact blobs', async () => {
    const blob = await layerFromBytes('{"a":1}', { mediaType: 'application/vnd.example+json' });
    expect(blob.descriptor()).toEqual({
      mediaType: 'application/vnd.example+json',
      digest: hex(Buffer.from('{"a":1}')),
      size: 7,
    });
  });
  it('layerFromCompressedFile derives the diffID by decompressing', async () => {
    const path = join(dir, 'pre.tgz');
    await writeFile(path, zlib.gzipSync(tar));
    const layer = await layerFromCompressedFile(path, {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    });
    expect(await layer.diffId()).toBe(hex(tar));
  });
  it('a stream error surfaces and leaves no partial file', async () => {
    const sub = await mkdtemp(join(dir, 'err-'));
    const bad = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await expect(layerFromStream(bad, { dir: sub })).rejects.toThrow(/source broke/);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(sub)).toEqual([]);
  });
});

/** `total` bytes in 64 KiB chunks, half random and half zeros, made on the fly. */
function generated(total: number): Readable {
  const chunk = 64 * 1024;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      // Half random, half zeros: compressible like real file systems, not trivially so.
      const buf = Buffer.alloc(chunk);
      randomFillSync(buf, 0, chunk / 2);
      sent += chunk;
      this.push(buf);
    },
  });
}

/** Peak RSS growth (bytes) of this process, all threads included, while `fn` runs. */
async function rssGrowth<T>(fn: () => Promise<T>): Promise<[T, number]> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const r = await fn();
    return [r, Math.max(peak, process.memoryUsage().rss) - before];
  } finally {
    clearInterval(timer);
  }
}

describe('memory', () => {
  it('streams a 200 MB layer with flat memory (single-stream gzip)', async () => {
    const total = 200 * 1024 * 1024;
    const [layer, growth] = await rssGrowth(() =>
      layerFromStream(generated(total), { compression: 'gzip', level: 1, dir, parallel: false }),
    );
    expect(await layer.uncompressedSize?.()).toBe(total);
    expect(layer.descriptor().size).toBeLessThan(total);
    expect(growth).toBeLessThan(100 * 1024 * 1024);
    await rm(join(dir, `layer-${layer.descriptor().digest.slice(7)}.tar.gz`));
  });

  it('streams a 500 MB layer through parallel gzip with bounded memory', async () => {
    // Blocks are deflated on libuv's thread pool (no worker isolates): a few MiB of blocks in flight
    // and streamed buffers awaiting V8's external-memory GC; what must not happen is growth with the
    // layer size (500 MB of input).
    const total = 500 * 1024 * 1024;
    const [layer, growth] = await rssGrowth(() =>
      layerFromStream(generated(total), { compression: 'gzip', level: 1, dir }),
    );
    expect(await layer.uncompressedSize?.()).toBe(total);
    const stored = join(dir, `layer-${layer.descriptor().digest.slice(7)}.tar.gz`);
    expect(layer.descriptor().size).toBeLessThan(total * 0.6);
    expect(growth).toBeLessThan(180 * 1024 * 1024);
    // every byte decodes back: the CRC-32 and length in the trailer are checked by gunzip
    const gunzip = zlib.createGunzip();
    let n = 0;
    await pipeline(createReadStream(stored), gunzip, async (src: AsyncIterable<Buffer>) => {
      for await (const b of src) n += b.byteLength;
    });
    expect(n).toBe(total);
    await rm(stored);
  });
});

describe('parallel gzip layers', () => {
  it('is the default for large gzip layers and decodes to the same tar as single-stream', async () => {
    const big = Buffer.concat(
      Array.from({ length: 24 }, (_, i) => Buffer.from(tar.subarray(0, 250_000 + i))),
    );
    const path = join(dir, 'big.tar');
    await writeFile(path, big);
    const par = await layerFromFile(path, { dir });
    const one = await layerFromFile(path, { dir, parallel: false });
    expect(await par.diffId()).toBe(hex(big));
    expect(await one.diffId()).toBe(hex(big));
    expect(par.descriptor().digest).not.toBe(one.descriptor().digest);
    const stored = await readAll(await par.compressed());
    expect(par.descriptor().digest).toBe(hex(stored));
    expect(zlib.gunzipSync(stored).equals(big)).toBe(true);
    // reproducible, whatever the thread count, and the in-memory path agrees
    const again = await layerFromStream(Readable.from([big]), { dir, threads: 1 });
    expect(again.descriptor().digest).toBe(par.descriptor().digest);
    const bytes = await layerFromBytes(big, { compression: 'gzip' });
    expect(bytes.descriptor().digest).toBe(par.descriptor().digest);
  });

  it('a caller-owned pool serves several layers and stays usable until closed', async () => {
    const big = Buffer.concat(Array.from({ length: 20 }, () => Buffer.from(tar)));
    const pool = createGzipPool({ threads: 2 });
    try {
      const [a, b] = await Promise.all([
        layerFromStream(Readable.from([big]), { dir, gzipPool: pool }),
        layerFromStream(Readable.from([big.subarray(1)]), { dir, gzipPool: pool }),
      ]);
      const c = await layerFromStream(Readable.from([big]), { dir, gzipPool: pool });
      expect(c.descriptor().digest).toBe(a.descriptor().digest);
      expect(await b.diffId()).toBe(hex(big.subarray(1)));
      expect(zlib.gunzipSync(await readAll(await b.compressed())).equals(big.subarray(1))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('sources', () => {
  it('accepts tar-stream packs and async iterables', async () => {
    const tarStream = (await import('tar-stream')).default;
    const pack = tarStream.pack();
    pack.entry({ name: 'a.txt', mtime: new Date(0) }, 'hello');
    pack.finalize();
    const fromPack = await layerFromStream(pack, { dir });
    const bytes = await readAll(await fromPack.uncompressed());
    async function* gen() {
      yield bytes.subarray(0, 100);
      yield bytes.subarray(100);
    }
    const fromIterable = await layerFromStream(gen(), { dir });
    expect(await fromIterable.diffId()).toBe(await fromPack.diffId());
    expect(fromIterable.descriptor().digest).toBe(fromPack.descriptor().digest);
  });
});

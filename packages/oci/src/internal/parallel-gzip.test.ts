import { createCipheriv, createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCompressor } from './compression.js';
import { createGzipPool } from './gzip-pool.js';
import { ParallelGzip, type ParallelGzipOptions } from './parallel-gzip.js';

/**
 * Deterministic layer-like bytes: 48 KiB sections alternating between text-like (compressible) and
 * AES-CTR keystream (incompressible) content; `kind` picks only one of them.
 */
function data(size: number, seed: number, kind: 'mixed' | 'random' | 'text' = 'mixed'): Buffer {
  const key = createHash('sha256').update(`seed ${seed}`).digest().subarray(0, 16);
  const rnd = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
  if (kind === 'random') return rnd;
  const words = ['usr', 'lib', 'share', 'x86_64-linux-gnu', 'python3', 'site-packages', '\n', 'ELF', '\0\0'];
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    const section = Math.floor(i / 49152);
    if (kind === 'mixed' && section % 2 === 1) out[i] = rnd[i] as number;
    else {
      const w = words[(rnd[i - (i % 7)] as number) % words.length] as string;
      out[i] = w.charCodeAt(i % w.length);
    }
  }
  return out;
}

/** Feeds `input` in `chunk`-byte pieces through the transforms and returns the output. */
async function compress(input: Buffer, stages: NodeJS.ReadWriteStream[], chunk = 65536): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.byteLength; i += chunk) pieces.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    ...(stages as [NodeJS.ReadWriteStream]),
    async (src: AsyncIterable<Buffer>) => {
      for await (const b of src) out.push(b);
    },
  );
  return Buffer.concat(out);
}

const parallel = (input: Buffer, opts: ParallelGzipOptions = {}, chunk?: number) =>
  compress(input, [new ParallelGzip(opts)], chunk);
const single = (input: Buffer, level = 6) =>
  compress(input, createCompressor('gzip', level, { parallel: false }));

const KIB = 1024;
// small blocks and threshold so that many block boundaries are crossed with little data
const small: ParallelGzipOptions = { blockSize: 64 * KIB, minParallelSize: 64 * KIB, threads: 2 };

describe('parallel gzip round trip', () => {
  const B = 64 * KIB;
  const sizes = [0, 1, 100, B - 1, B, B + 1, 2 * B - 1, 2 * B, 2 * B + 1, 7 * B + 12_345];
  it.each(['mixed', 'random', 'text'] as const)(
    '%s data of many sizes decodes to the input',
    async (kind) => {
      const pool = createGzipPool({ threads: 2 });
      try {
        for (const size of sizes) {
          const input = data(size, size, kind);
          const gz = await parallel(input, { ...small, pool });
          expect(zlib.gunzipSync(gz).equals(input), `size ${size}`).toBe(true);
          // below the threshold, or in one block (a lone final raw deflate block is what zlib's gzip
          // writes), the bytes are exactly those of single-stream zlib gzip; more blocks differ
          if (size <= B) expect(gz.equals(await single(input)), `size ${size}`).toBe(true);
          else expect(gz.equals(await single(input)), `size ${size}`).toBe(false);
        }
      } finally {
        await pool.close();
      }
    },
  );

  it('multi-MB streams with default block size and threshold decode, at every level', async () => {
    const input = data(9 * 1024 * KIB + 777, 5);
    for (const level of [1, 6, 9]) {
      const gz = await parallel(input, { level });
      expect(zlib.gunzipSync(gz).equals(input), `level ${level}`).toBe(true);
      expect(gz[8], 'XFL').toBe(level === 9 ? 2 : level === 1 ? 4 : 0);
    }
  });

  it('writes a deterministic header and a trailer with CRC-32 and length of the input', async () => {
    const input = data(300 * KIB, 9);
    const gz = await parallel(input, small);
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    expect(gz.readUInt32LE(gz.byteLength - 8)).toBe(zlib.crc32(input));
    expect(gz.readUInt32LE(gz.byteLength - 4)).toBe(input.byteLength);
  });

  it('compresses about as well as single-stream gzip (preset dictionaries)', async () => {
    const input = data(6 * 1024 * KIB, 11);
    const [p, s] = [await parallel(input), await single(input)];
    expect(p.byteLength).toBeLessThan(s.byteLength * 1.01);
    expect(p.byteLength).toBeLessThan(input.byteLength * 0.75);
    // without dictionaries each 64 KiB block would start cold: the dictionary must make a difference
    const text = data(2 * 1024 * KIB, 12, 'text');
    const withDict = await parallel(text, small);
    const cold = Buffer.concat(
      Array.from({ length: 32 }, (_, i) =>
        zlib.deflateRawSync(text.subarray(i * 64 * KIB, (i + 1) * 64 * KIB)),
      ),
    );
    expect(withDict.byteLength).toBeLessThan(cold.byteLength);
  });
});

describe('parallel gzip determinism', () => {
  it('same bytes whatever the thread count, input chunking or pool', async () => {
    const input = data(3 * 1024 * KIB + 5, 21);
    const reference = await parallel(input, small, 65536);
    const shared = createGzipPool({ threads: 3 });
    try {
      const variants = await Promise.all([
        parallel(input, { ...small, threads: 1 }, 1000),
        parallel(input, { ...small, threads: 4 }, 1024 * KIB),
        parallel(input, { ...small, pool: shared }, 4097),
        parallel(input, { ...small, pool: shared }, 65536),
      ]);
      for (const v of variants) expect(v.equals(reference)).toBe(true);
    } finally {
      await shared.close();
    }
    expect(zlib.gunzipSync(reference).equals(input)).toBe(true);
  });

  it('block size is part of the format', async () => {
    const input = data(1024 * KIB, 22);
    const a = await parallel(input, small);
    const b = await parallel(input, { ...small, blockSize: 128 * KIB });
    expect(a.equals(b)).toBe(false);
    expect(zlib.gunzipSync(b).equals(input)).toBe(true);
  });
});

describe('parallel gzip errors and pools', () => {
  it('a source that fails mid-stream fails the pipeline; a fresh compressor works afterwards', async () => {
    const input = data(512 * KIB, 31);
    async function* failing() {
      yield input.subarray(0, 300 * KIB);
      throw new Error('source broke');
    }
    const gz = new ParallelGzip(small);
    await expect(
      pipeline(failing(), gz, async (src: AsyncIterable<Buffer>) => {
        for await (const _ of src);
      }),
    ).rejects.toThrow('source broke');
    // the owned pool is closed with the stream; a fresh
    // compressor still works afterwards
    expect(zlib.gunzipSync(await parallel(input, small)).equals(input)).toBe(true);
  });

  it('rejects invalid levels and block sizes, and a closed pool', async () => {
    expect(() => new ParallelGzip({ level: 0 })).toThrow(/level/);
    expect(() => new ParallelGzip({ blockSize: 1000 })).toThrow(/block size/);
    const pool = createGzipPool({ threads: 1 });
    await pool.close();
    await expect(parallel(data(200 * KIB, 1), { ...small, pool })).rejects.toThrow(/pool closed/);
  });
});

describe('ParallelGzip: incompressible blocks', () => {
  // zlib itself emits stored blocks for random data (after searching for matches); what the check
  // saves is that search, which shows in the benchmarks (test/bench), not in the bytes
  it('stores random blocks (size within a few bytes per 64 KiB) and round-trips', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      const random = data(8 * 1024 * 1024, 11, 'random');
      const out = await parallel(random, { pool });
      expect(zlib.gunzipSync(out).equals(random)).toBe(true);
      // stored: 5 bytes per ≤64 KiB block, plus header/trailer and the sync flushes
      expect(out.byteLength - random.byteLength).toBeLessThan((random.byteLength / 65535) * 5 + 1024);
    } finally {
      await pool.close();
    }
  });

  it('still deflates text and mixed data (only whole-block incompressible blocks are stored)', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      for (const kind of ['text', 'mixed'] as const) {
        const input = data(6 * 1024 * 1024, 12, kind);
        const out = await parallel(input, { pool });
        expect(zlib.gunzipSync(out).equals(input)).toBe(true);
        expect(out.byteLength).toBeLessThan(input.byteLength * (kind === 'text' ? 0.5 : 0.8));
        // same bytes every time
        expect((await parallel(input, { pool, threads: 1 })).equals(out)).toBe(true);
      }
    } finally {
      await pool.close();
    }
  });
  it('deflates a block whose start, middle and end are incompressible but which holds text between them', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      // one 1 MiB block: random bytes with text in 200–400 KiB and 600–800 KiB (compressed files
      // next to text files in a tar); samples taken only at its start, middle and end all see random
      // (six such blocks: an input under 4 MiB is compressed as a single stream)
      const input = Buffer.from(data(6 * 1024 * KIB, 13, 'random'));
      const text = data(6 * 1024 * KIB, 14, 'text');
      for (let b = 0; b < 6; b++) {
        text.copy(input, b * 1024 * KIB + 200 * KIB, b * 1024 * KIB, b * 1024 * KIB + 200 * KIB);
        text.copy(input, b * 1024 * KIB + 600 * KIB, b * 1024 * KIB + 200 * KIB, b * 1024 * KIB + 400 * KIB);
      }
      const out = await parallel(input, { pool });
      expect(zlib.gunzipSync(out).equals(input)).toBe(true);
      // stored would be ≥ the input; deflated, the 6 × 400 KiB of text shrink
      expect(out.byteLength).toBeLessThan(input.byteLength - 6 * 100 * KIB);
    } finally {
      await pool.close();
    }
  });
});

describe('parallel gzip output recycling', () => {
  it('reuses released output buffers and writes the same bytes as without recycling', async () => {
    const input = data(40 * 64 * KIB + 999, 7);
    const expected = await parallel(input, small);
    const gz = new ParallelGzip(small);
    const release = gz.recycleOutput();
    const out: Buffer[] = [];
    const backing = new Set<ArrayBufferLike>();
    // a Writable sees every pushed chunk as it is (an async iterator may concatenate them)
    const sink = new Writable({
      write(b: Buffer, _enc, cb) {
        out.push(Buffer.from(b)); // a copy: the chunk's buffer is handed back right away
        backing.add(b.buffer);
        release(b);
        cb();
      },
    });
    await pipeline(Readable.from([input]), gz, sink);
    expect(Buffer.concat(out).equals(expected)).toBe(true);
    expect(zlib.gunzipSync(Buffer.concat(out)).equals(input)).toBe(true);
    // 41 blocks plus header and trailer went through far fewer buffers
    expect(out.length).toBeGreaterThan(40);
    expect(backing.size).toBeLessThan(out.length / 2);
  });

  it('never reuses a buffer the consumer keeps', async () => {
    const input = data(20 * 64 * KIB, 8);
    const expected = await parallel(input, small);
    const gz = new ParallelGzip(small);
    gz.recycleOutput(); // opted in, but nothing is released
    const kept = await compress(input, [gz]);
    expect(kept.equals(expected)).toBe(true);
  });
});

/**
 * The format written out plainly and synchronously, independent of the pool: 1 MiB-style blocks,
 * each raw-deflated with the previous 32 KiB as dictionary (sync flush, the last Z_FINISH), blocks
 * of ≥ 128 KiB whose eight level-1 4 KiB samples (evenly spread, first at 0, last at the end) all stay ≥ 97% stored at level 0 without dictionary. zlib cuts
 * stored blocks to the output space it is given, so that is part of the format too: one buffer of
 * blockSize + blockSize/16 + 4 KiB per block.
 */
function referenceGzip(input: Buffer, level: number, blockSize: number): Buffer {
  const sample = 4 * KIB;
  const incompressible = (b: Buffer) =>
    b.byteLength >= 128 * KIB &&
    [0, 1, 2, 3, 4, 5, 6, 7]
      .map((i) => Math.floor((i * (b.byteLength - sample)) / 7))
      .every(
        (at) => zlib.deflateRawSync(b.subarray(at, at + sample), { level: 1 }).byteLength >= sample * 0.97,
      );
  const parts = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 0xff])];
  for (let off = 0; off < input.byteLength; off += blockSize) {
    const block = input.subarray(off, off + blockSize);
    const stored = incompressible(block);
    const final = off + blockSize >= input.byteLength;
    parts.push(
      zlib.deflateRawSync(block, {
        level: stored ? 0 : level,
        chunkSize: blockSize + (blockSize >>> 4) + 4096,
        finishFlush: final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
        ...(off > 0 && !stored ? { dictionary: input.subarray(off - 32 * KIB, off) } : {}),
      }),
    );
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(input), 0);
  trailer.writeUInt32LE(input.byteLength % 2 ** 32, 4);
  return Buffer.concat([...parts, trailer]);
}

describe('parallel gzip format', () => {
  it('is byte for byte the plain synchronous pigz-style reference (mixed, random, text; levels 1, 6, 9)', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      const random = data(5 * 1024 * KIB, 41, 'random');
      const text = data(5 * 1024 * KIB + 3, 42, 'text');
      // random and text runs longer than a block, so some blocks are stored and some deflated
      const mixed = Buffer.concat([text.subarray(0, 1536 * KIB), random.subarray(0, 2560 * KIB), text]);
      for (const [input, level] of [
        [mixed, 6],
        [mixed, 1],
        [text.subarray(0, 4 * 1024 * KIB + 99), 9],
        [random, 6],
      ] as const) {
        const out = await parallel(input, { pool, level }, 100_000);
        expect(out.equals(referenceGzip(input, level, 1024 * KIB)), `level ${level}`).toBe(true);
      }
      // an exact multiple of the block size: the last full block is the final one
      const exact = mixed.subarray(0, 6 * 1024 * KIB);
      expect((await parallel(exact, { pool })).equals(referenceGzip(exact, 6, 1024 * KIB))).toBe(true);
      // small blocks: many boundaries, blocks shorter than 128 KiB are never stored
      const smallOut = await parallel(mixed, { ...small, pool });
      expect(smallOut.equals(referenceGzip(mixed, 6, 64 * KIB))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

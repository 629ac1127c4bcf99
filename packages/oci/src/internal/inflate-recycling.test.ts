import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateRecycling } from './inflate-recycling.js';

/** Splits `data` into chunks of the given sizes (cycling), as a network body would arrive. */
function chunked(data: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    parts.push(data.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts);
}

/** Reads as the contract says: every chunk is copied before the next is asked for. */
async function collect(
  chunks: AsyncIterable<Buffer>,
): Promise<{ data: Buffer; arrays: Set<ArrayBufferLike> }> {
  const copies: Buffer[] = [];
  const arrays = new Set<ArrayBufferLike>();
  for await (const c of chunks) {
    arrays.add(c.buffer);
    copies.push(Buffer.from(c));
  }
  return { data: Buffer.concat(copies), arrays };
}

// text-like data: compresses about 3:1, like a base image layer
const text = Buffer.from(
  Array.from({ length: 200_000 }, (_, i) => `line ${i} of a file ${i % 97}\n`).join(''),
  'latin1',
);

describe('inflateRecycling', () => {
  it('gives the bytes zlib gives, for gzip and zstd, whatever the input chunking', async () => {
    const mixed = Buffer.concat([text, randomBytes(3 * 1024 * 1024), Buffer.alloc(5 * 1024 * 1024)]);
    const gz = zlib.gzipSync(mixed);
    const zst = zlib.zstdCompressSync(mixed);
    for (const sizes of [[gz.length], [7, 65_536, 300_000], [1_000_003]]) {
      const out = await collect(inflateRecycling(chunked(gz, sizes), 'gzip', { ahead: 2 }));
      expect(out.data.equals(mixed), `gzip in chunks of ${sizes}`).toBe(true);
    }
    // one byte at a time (one inflate call per byte: a small input)
    const small = text.subarray(0, 30_000);
    const bytewise = await collect(inflateRecycling(chunked(zlib.gzipSync(small), [1]), 'gzip'));
    expect(bytewise.data.equals(small)).toBe(true);
    const out = await collect(inflateRecycling(chunked(zst, [65_536]), 'zstd'));
    expect(out.data.equals(mixed)).toBe(true);
  });

  it('reuses a few output buffers instead of allocating one per chunk', async () => {
    const big = Buffer.concat(Array.from({ length: 8 }, () => text)); // ~27 MiB, ~27 output chunks
    const out = await collect(inflateRecycling(chunked(zlib.gzipSync(big), [65_536]), 'gzip', { ahead: 3 }));
    expect(out.data.equals(big)).toBe(true);
    // ahead + 2 buffers at most (3 queued, 1 lent, 1 being filled)
    expect(out.arrays.size).toBeLessThanOrEqual(5);
    // the plain stream, for contrast, hands out a new buffer for every chunk
    const plain = await collect(
      inflateRecycling(chunked(zlib.gzipSync(big), [65_536]), 'gzip', { plainStream: true }),
    );
    expect(plain.data.equals(big)).toBe(true);
    expect(plain.arrays.size).toBeGreaterThan(20);
  });

  it('reads a gzip of several members to its end, like gunzip', async () => {
    const a = Buffer.from('first member\n');
    const b = Buffer.from('second member\n');
    const gz = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)]);
    const out = await collect(inflateRecycling(chunked(gz, [5]), 'gzip'));
    expect(out.data.toString()).toBe('first member\nsecond member\n');
  });

  it('fails on corrupt and truncated input, and passes on the source’s error', async () => {
    const gz = zlib.gzipSync(text);
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 100, 200);
    await expect(collect(inflateRecycling(chunked(corrupt, [4096]), 'gzip'))).rejects.toThrow();
    await expect(
      collect(inflateRecycling(chunked(gz.subarray(0, gz.length - 20), [4096]), 'gzip')),
    ).rejects.toThrow(/unexpected end of file/);
    const failing = new Readable({
      read() {
        this.push(gz.subarray(0, 1000));
        this.destroy(new Error('registry hung up'));
      },
    });
    await expect(collect(inflateRecycling(failing, 'gzip'))).rejects.toThrow('registry hung up');
  });

  it('does not inflate far ahead of the reader, even where a little input makes a lot of output', async () => {
    // 256 MiB of zeros gzip to ~256 KB: a 16 KiB piece of it is ~16 MiB of output
    const gz = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024));
    let pulled = 0;
    const parts = Array.from({ length: Math.ceil(gz.length / 16_384) }, (_, i) =>
      gz.subarray(i * 16_384, (i + 1) * 16_384),
    );
    const source = new Readable({
      read() {
        const next = parts[pulled++];
        this.push(next ?? null);
      },
    });
    const chunks = inflateRecycling(source, 'gzip', { ahead: 2 })[Symbol.asyncIterator]();
    const first = await chunks.next();
    expect(first.value?.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    // the stream reads a few parts ahead; the inflater holds two chunks: not all 256 MiB
    expect(pulled).toBeLessThan(6);
    let total = first.value?.length ?? 0;
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) total += c.value.length;
    expect(total).toBe(256 * 1024 * 1024);
  });

  it('stops the source when the reader stops early', async () => {
    const source = chunked(zlib.gzipSync(Buffer.concat([text, text, text, text])), [16_384]);
    for await (const _ of inflateRecycling(source, 'gzip', { ahead: 1 })) break;
    expect(source.destroyed).toBe(true);
  });
});

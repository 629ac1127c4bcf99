import { createCipheriv } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateInto } from './deflate-into.js';
import { createDeflateSlot, createGzipPool, WINDOW } from './gzip-pool.js';

const random = (n: number) =>
  createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(n));
const text = (n: number) =>
  Buffer.from('usr/lib/python3/site-packages/kaniko\n'.repeat(Math.ceil(n / 37))).subarray(0, n);
const { Z_SYNC_FLUSH, Z_FINISH } = zlib.constants;

describe('deflateInto', () => {
  it('writes into the given buffer, as zlib does with that much output space', async () => {
    for (const [input, level] of [
      [text(300_000), 6],
      [random(300_000), 0],
      [random(300_000), 6],
    ] as const) {
      const output = Buffer.alloc(400_000);
      const out = await deflateInto(input, { level }, Z_SYNC_FLUSH, output);
      expect(out.buffer).toBe(output.buffer);
      expect(out.byteOffset).toBe(0);
      // stored blocks are cut to the output space, so the same space gives the same bytes
      const expected = zlib.deflateRawSync(input, { level, finishFlush: Z_SYNC_FLUSH, chunkSize: 400_000 });
      expect(out.equals(expected), `level ${level}`).toBe(true);
      expect(zlib.inflateRawSync(out, { finishFlush: Z_SYNC_FLUSH }).equals(input)).toBe(true);
    }
  });

  it('uses the preset dictionary and the flush it is given', async () => {
    const dict = text(32 * 1024);
    const input = text(100_000);
    const out = await deflateInto(input, { level: 6, dictionary: dict }, Z_FINISH, Buffer.alloc(200_000));
    expect(zlib.inflateRawSync(out, { dictionary: dict }).equals(input)).toBe(true);
    const cold = zlib.deflateRawSync(input);
    expect(out.byteLength).toBeLessThan(cold.byteLength);
  });

  it('returns a fresh buffer with the whole output when the given one is too small', async () => {
    const input = random(200_000);
    const output = Buffer.alloc(50_000);
    const out = await deflateInto(input, { level: 6 }, Z_FINISH, output);
    expect(out.buffer).not.toBe(output.buffer);
    expect(zlib.inflateRawSync(out).equals(input)).toBe(true);
  });

  it('rejects on bad options instead of hanging', async () => {
    await expect(deflateInto(text(1000), { level: 42 }, Z_FINISH, Buffer.alloc(2000))).rejects.toThrow();
  });
});

describe('gzip pool on the thread pool', () => {
  it('deflates into the caller target, and into a fresh exact-size buffer without one', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      const slot = createDeflateSlot(256 * 1024);
      const input = text(200_000);
      slot.input.set(input, WINDOW);
      const target = Buffer.alloc(slot.outputSize);
      const a = await pool.deflate({
        slot,
        dictLength: 0,
        length: input.byteLength,
        level: 6,
        final: true,
        target,
      });
      expect(a.buffer).toBe(target.buffer);
      const b = await pool.deflate({ slot, dictLength: 0, length: input.byteLength, level: 6, final: true });
      expect(b.buffer).not.toBe(target.buffer);
      expect(b.buffer.byteLength).toBeLessThan(slot.outputSize);
      expect(a.equals(b)).toBe(true);
      expect(zlib.inflateRawSync(b).equals(input)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('with one thread two blocks run and a third waits; close fails it and lets the running ones finish', async () => {
    const pool = createGzipPool({ threads: 1 });
    const slot = createDeflateSlot(1024 * 1024);
    slot.input.set(text(1024 * 1024), WINDOW);
    const block = { slot, dictLength: 0, length: 1024 * 1024, level: 9, final: true };
    const first = pool.deflate(block);
    const second = pool.deflate(block);
    const third = pool.deflate(block);
    const closing = pool.close();
    await expect(third).rejects.toThrow(/pool closed/);
    expect(zlib.inflateRawSync(await first).byteLength).toBe(1024 * 1024);
    expect((await second).equals(await first)).toBe(true);
    await closing;
    await expect(pool.deflate(block)).rejects.toThrow(/pool closed/);
  });

  it('a failing block rejects with the reason and the pool goes on', async () => {
    const pool = createGzipPool({ threads: 2 });
    try {
      const slot = createDeflateSlot(128 * 1024);
      slot.input.set(text(1000), WINDOW);
      await expect(
        pool.deflate({ slot, dictLength: 0, length: 1000, level: 42, final: true }),
      ).rejects.toThrow(/compressing gzip block/);
      const ok = await pool.deflate({ slot, dictLength: 0, length: 1000, level: 6, final: true });
      expect(zlib.inflateRawSync(ok).equals(text(1000))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SampleDeflater } from './sample-deflater.js';

describe('SampleDeflater', () => {
  it('gives, sample after sample on one stream, the size a fresh level-1 raw deflate gives', async () => {
    const sampler = new SampleDeflater(Buffer.allocUnsafeSlow(8192));
    const text = Buffer.from('usr/lib/x86_64-linux-gnu/libc.so.6\n'.repeat(120)).subarray(0, 4096);
    const samples = Array.from({ length: 60 }, (_, i) => {
      if (i % 3 === 0) return randomBytes(4096);
      if (i % 3 === 1) return text;
      // half text, half random: a size between the two
      return Buffer.concat([text.subarray(0, 2048), randomBytes(2048)]);
    });
    const sizes: number[] = [];
    for (const s of samples) sizes.push(await sampler.size(s));
    sampler.close();
    expect(sizes).toEqual(samples.map((s) => zlib.deflateRawSync(s, { level: 1 }).byteLength));
    // the three kinds really differ, so a stale state would show
    expect(new Set(sizes.slice(0, 3)).size).toBe(3);
  });
});

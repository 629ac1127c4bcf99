import { createCipheriv } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll } from './internal/streams.js';
import { type LayerOptions, layerFromStream } from './layer-from-stream.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-release-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Half text, half AES keystream: compressible and stored gzip blocks both occur. */
function data(size: number): Buffer {
  const rnd = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16)).update(Buffer.alloc(size));
  const text = Buffer.from('etc/ssl/certs/ca-certificates.crt usr/share/doc\n'.repeat(Math.ceil(size / 48)));
  text.copy(rnd, 0, 0, size >>> 1);
  return rnd;
}

/**
 * The producer side of `onInputConsumed`: `data` in 100 KiB pieces through one reused buffer,
 * overwritten as soon as the layer says it is done with the bytes it held (or at once, `wait: false`).
 * The layer must be done with a piece without needing the next one, or this would never end.
 */
function recycled(input: Buffer, wait: boolean) {
  const PIECE = 100 * 1024;
  const buf = Buffer.alloc(PIECE);
  let end = 0;
  let consumed = 0;
  let wake: (() => void) | undefined;
  const seen: number[] = [];
  const onInputConsumed = (n: number) => {
    seen.push(n);
    consumed = n;
    wake?.();
  };
  async function* source() {
    for (let off = 0; off < input.byteLength; off += PIECE) {
      while (wait && consumed < end)
        await new Promise<void>((r) => {
          wake = r;
        });
      const n = Math.min(PIECE, input.byteLength - off);
      buf.set(input.subarray(off, off + n));
      end = off + n;
      yield buf.subarray(0, n);
    }
  }
  return { source: source(), onInputConsumed, seen };
}

describe('layerFromStream onInputConsumed', () => {
  const input = data(9 * 1024 * 1024 + 4321);
  const cases: Array<[string, LayerOptions, Buffer]> = [
    ['parallel gzip', { compression: 'gzip' }, input],
    ['gzip below the parallel threshold (held input)', { compression: 'gzip' }, input.subarray(0, 3_000_000)],
    ['single-stream gzip', { compression: 'gzip', parallel: false, level: 1 }, input.subarray(0, 3_000_000)],
    ['zstd', { compression: 'zstd' }, input],
    ['none', { compression: 'none' }, input],
  ];
  it.each(cases)(
    '%s: reused source buffers give the same layer, counts grow to the total',
    async (_, opts, bytes) => {
      const plain = await layerFromStream(Readable.from([Buffer.from(bytes)]), { ...opts, dir });
      const r = recycled(bytes, true);
      const layer = await layerFromStream(r.source, { ...opts, dir, onInputConsumed: r.onInputConsumed });
      expect(layer.descriptor().digest).toBe(plain.descriptor().digest);
      expect(await layer.diffId()).toBe(await plain.diffId());
      expect(r.seen.at(-1)).toBe(bytes.byteLength);
      expect(r.seen.every((n, i) => i === 0 || n > (r.seen[i - 1] as number))).toBe(true);
      if (opts.compression === 'gzip')
        expect(zlib.gunzipSync(await readAll(await layer.compressed())).equals(bytes)).toBe(true);
    },
  );

  it('a producer that does not wait corrupts the layer (what the check above would catch)', async () => {
    const plain = await layerFromStream(Readable.from([Buffer.from(input)]), { dir });
    const r = recycled(input, false);
    const layer = await layerFromStream(r.source, { dir, onInputConsumed: r.onInputConsumed });
    expect(layer.descriptor().digest).not.toBe(plain.descriptor().digest);
  });
});

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Descriptor, layerFromBlob, MediaType, sha256 } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { LayerUploader } from './layer-uploader.js';
import { StreamingTap } from './streaming-tap.js';

const layerOf = (bytes: Buffer) =>
  layerFromBlob({
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(bytes), size: bytes.length },
    open: async () => Readable.from([bytes]),
  });

/** An upload that reads everything it is given and records it with the digest it was told. */
function recordingStart(opts: { failAfter?: number; slow?: boolean } = {}) {
  const seen: { bytes: Buffer; sizes: number[]; descriptor: Descriptor | undefined; calls: number } = {
    bytes: Buffer.alloc(0),
    sizes: [],
    descriptor: undefined,
    calls: 0,
  };
  const start = async (chunks: Readable, descriptor: Promise<Descriptor>) => {
    seen.calls++;
    const got: Buffer[] = [];
    let n = 0;
    for await (const c of chunks) {
      got.push(c as Buffer);
      n += (c as Buffer).length;
      if (opts.failAfter !== undefined && n > opts.failAfter) throw new Error('registry said 500');
      if (opts.slow) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    seen.bytes = Buffer.concat(got);
    seen.sizes = got.map((c) => c.length);
    seen.descriptor = await descriptor;
  };
  return { seen, start };
}

/** Feeds `bytes` to the tap in 64 KiB chunks, as the layer writer does; answers how many chunk() calls waited. */
async function feed(tap: StreamingTap, bytes: Buffer): Promise<number> {
  let waited = 0;
  for (let off = 0; off < bytes.length; off += 65_536) {
    const r = tap.chunk(bytes.subarray(off, off + 65_536));
    if (r instanceof Promise) {
      waited++;
      await r;
    }
  }
  return waited;
}

describe('StreamingTap', () => {
  it('never starts an upload for a layer below the threshold', async () => {
    const { seen, start } = recordingStart();
    const ended: string[] = [];
    const tap = new StreamingTap(start, (d) => ended.push(d), 1024 * 1024);
    const bytes = randomBytes(512 * 1024);
    await feed(tap, bytes);
    tap.end(layerOf(bytes));
    expect(seen.calls).toBe(0);
    expect(tap.outcome).toBeUndefined();
    expect(ended).toEqual([]);
  });

  it('streams every byte of a big layer in order, then names its digest', async () => {
    const { seen, start } = recordingStart({ slow: true });
    const ended: string[] = [];
    const tap = new StreamingTap(start, (d) => ended.push(d), 1024 * 1024, 2 * 1024 * 1024);
    const bytes = randomBytes(9 * 1024 * 1024 + 1234);
    const waited = await feed(tap, bytes);
    const layer = layerOf(bytes);
    tap.end(layer);
    expect(await tap.outcome).toBe(true);
    expect(seen.calls).toBe(1);
    expect(seen.bytes.equals(bytes)).toBe(true);
    // handed on in slabs of the upload's chunk size (sent as they are), the rest at the end
    expect(seen.sizes).toEqual([2, 2, 2, 2].map((m) => m * 1024 * 1024).concat(1024 * 1024 + 1234));
    expect(seen.descriptor?.digest).toBe(layer.descriptor().digest);
    expect(ended).toEqual([layer.descriptor().digest]);
    // a slow upload held the writer back (bounded memory) instead of buffering everything
    expect(waited).toBeGreaterThan(0);
  });

  it('lets the layer be written to the end when the upload fails midway (outcome false)', async () => {
    const { start } = recordingStart({ failAfter: 2 * 1024 * 1024 });
    const tap = new StreamingTap(start, () => undefined, 1024 * 1024);
    const bytes = randomBytes(6 * 1024 * 1024);
    await feed(tap, bytes);
    tap.end(layerOf(bytes));
    expect(await tap.outcome).toBe(false);
  });

  it('fails the upload when the layer is not written', async () => {
    const { seen, start } = recordingStart();
    const tap = new StreamingTap(start, () => undefined, 1024 * 1024);
    await feed(tap, randomBytes(2 * 1024 * 1024));
    tap.end(undefined);
    expect(await tap.outcome).toBe(false);
    expect(seen.descriptor).toBeUndefined();
  });
});

describe('LayerUploader with streaming', () => {
  it('pushes a streamed layer only after its stream settled, and small layers as usual', async () => {
    const order: string[] = [];
    const { seen, start } = recordingStart({ slow: true });
    const uploader = new LayerUploader(
      async (layer) => {
        order.push(`push ${layer.descriptor().digest.slice(7, 15)}`);
      },
      {
        stream: async (chunks, descriptor) => {
          await start(chunks, descriptor);
          order.push('stream done');
        },
        streamAfterBytes: 1024 * 1024,
      },
    );
    const big = randomBytes(3 * 1024 * 1024);
    const tap = uploader.tap() as StreamingTap;
    await feed(tap, big);
    const layer = layerOf(big);
    tap.end(layer);
    uploader.add(layer);
    const small = layerOf(randomBytes(1000));
    uploader.add(small);
    await uploader.settle();
    expect(seen.bytes.equals(big)).toBe(true);
    const bigPush = `push ${layer.descriptor().digest.slice(7, 15)}`;
    expect(order.indexOf('stream done')).toBeLessThan(order.indexOf(bigPush));
    expect(order).toContain(`push ${small.descriptor().digest.slice(7, 15)}`);
  });

  it('gives no tap without a stream, and none once cancelled', async () => {
    expect(new LayerUploader(async () => undefined).tap()).toBeUndefined();
    const uploader = new LayerUploader(async () => undefined, { stream: async () => undefined });
    await uploader.cancel();
    expect(uploader.tap()).toBeUndefined();
  });
});

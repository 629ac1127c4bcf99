import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sha256 } from './digest.js';
import { type Layer, layerFromBlob } from './layer.js';
import { uncompressedChunks } from './layer-chunks.js';
import { MediaType } from './media-types.js';

const text = Buffer.from(
  Array.from({ length: 700_000 }, (_, i) => `entry ${i} of a layer ${i % 89}\n`).join(''),
  'latin1',
);
const gz = gzipSync(text);

function gzipLayer(bytes = gz, digestOf = bytes): Layer {
  return layerFromBlob({
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(digestOf), size: bytes.length },
    open: async () => Readable.from([bytes]),
  });
}

/** Reads as the contract says: every chunk copied before the next is asked for. */
async function collect(layer: Layer) {
  const copies: Buffer[] = [];
  const arrays = new Set<ArrayBufferLike>();
  for await (const c of uncompressedChunks(layer)) {
    arrays.add(c.buffer);
    copies.push(Buffer.from(c));
  }
  return { data: Buffer.concat(copies), arrays };
}

describe('uncompressedChunks', () => {
  it('reads a layerFromBlob layer through a few reused buffers', async () => {
    const out = await collect(gzipLayer());
    expect(out.data.equals(text)).toBe(true);
    expect(text.length).toBeGreaterThan(16 * 1024 * 1024);
    expect(out.arrays.size).toBeLessThanOrEqual(6);
  });

  it('reads a wrapper made by spreading a layer through the wrapper’s own uncompressed()', async () => {
    const inner = gzipLayer();
    let calls = 0;
    const wrapper: Layer = {
      ...inner,
      uncompressed: async () => {
        calls++;
        return inner.uncompressed();
      },
    };
    const out = await collect(wrapper);
    expect(out.data.equals(text)).toBe(true);
    expect(calls).toBe(1);
  });

  it('fails once read to the end when the bytes do not match the digest', async () => {
    const other = Buffer.from(gz);
    other[other.length - 1] ^= 0xff;
    await expect(collect(gzipLayer(gz, other))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});

import { pipeline as pipelineCb, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cleanDescriptor, type Descriptor } from './descriptor.js';
import { type Digest, digestStream, verifyingStream } from './digest.js';
import { CHUNK_READER } from './internal/chunk-reader.js';
import { createDecompressor } from './internal/compression.js';
import { inflateRecycling } from './internal/inflate-recycling.js';
import { once } from './internal/once.js';
import { countBytes } from './internal/streams.js';
import { layerCompression } from './media-types.js';

/**
 * A read-only view of one layer (or, for artifacts, one opaque blob). Streams returned by
 * `compressed()` are verified against `descriptor()` and error with `DIGEST_MISMATCH`/`SIZE_MISMATCH`
 * instead of ending when the bytes are wrong.
 */
export interface Layer {
  /** Media type of the blob as stored (the manifest's layer media type). */
  readonly mediaType: string;
  /** The descriptor of the stored (compressed) blob, as a manifest lists it. */
  descriptor(): Descriptor;
  /** sha256 of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId(): Promise<Digest>;
  /** The stored bytes. */
  compressed(): Promise<Readable>;
  /** The uncompressed tar (same as `compressed()` for uncompressed/opaque media types). */
  uncompressed(): Promise<Readable>;
  /** Optional capability: size of the uncompressed tar when known cheaply. Use `layerUncompressedSize`. */
  uncompressedSize?(): Promise<number>;
}

/** What a source must provide to get a full `Layer` from `layerFromBlob`. */
export interface LayerBlob {
  descriptor: Descriptor;
  /** Opens the stored bytes. They are verified by the returned layer; the opener need not verify. */
  open(): Promise<Readable>;
  /** The diffID when the source knows it (e.g. from the image config); otherwise it is computed. */
  diffId?: Digest;
  /** The uncompressed size when known. */
  uncompressedSize?: number;
}

function chain(src: Readable, next: Transform): Transform {
  return pipelineCb(src, next, () => {});
}

/**
 * The small core every layer source implements: a descriptor and an opener. Everything else
 * (verification, decompression by media type, diffID) is derived here.
 */
export function layerFromBlob(blob: LayerBlob): Layer {
  const desc = cleanDescriptor(blob.descriptor);
  const compression = layerCompression(desc.mediaType) ?? 'none';
  const compressed = async (): Promise<Readable> => {
    // stream.pipeline (callback form) forwards errors and destroys the source if the consumer stops.
    return chain(await blob.open(), verifyingStream(desc.digest, desc.size, `layer ${desc.digest}`));
  };
  const uncompressed = async (): Promise<Readable> => {
    const src = await compressed();
    return compression === 'none' ? src : chain(src, createDecompressor(compression));
  };
  const diffId = once(async (): Promise<Digest> => {
    if (blob.diffId) return blob.diffId;
    if (compression === 'none') return desc.digest;
    const hasher = digestStream();
    await pipeline(await uncompressed(), hasher, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source);
    });
    return hasher.result().digest;
  });
  const layer: Layer = {
    mediaType: desc.mediaType,
    descriptor: () => ({ ...desc }),
    diffId,
    compressed,
    uncompressed,
  };
  if (blob.uncompressedSize !== undefined) {
    const size = blob.uncompressedSize;
    layer.uncompressedSize = async () => size;
  } else if (compression === 'none') {
    layer.uncompressedSize = async () => desc.size;
  }
  Object.defineProperty(layer, CHUNK_READER, {
    enumerable: false,
    value: async function* (): AsyncGenerator<Buffer> {
      const stored = await compressed();
      if (compression === 'none') yield* stored as AsyncIterable<Buffer>;
      else yield* inflateRecycling(stored, compression);
    },
  });
  return layer;
}

/** The uncompressed size of a layer: the optional capability, else counted by streaming once. */
export async function layerUncompressedSize(layer: Layer): Promise<number> {
  if (layer.uncompressedSize) return layer.uncompressedSize();
  return countBytes(await layer.uncompressed());
}

/** The stored blob's digest (shorthand for `layer.descriptor().digest`). */
export function layerDigest(layer: Layer): Digest {
  return layer.descriptor().digest;
}

/**
 * The same bytes under another media type or with other annotations/urls (e.g. OCI ↔ Docker
 * media type conversion). The compression of `mediaType` must describe the bytes.
 */
export function withLayerDescriptor(
  layer: Layer,
  patch: Partial<Omit<Descriptor, 'digest' | 'size'>>,
): Layer {
  const desc = cleanDescriptor({ ...layer.descriptor(), ...patch });
  const out: Layer = {
    mediaType: desc.mediaType,
    descriptor: () => ({ ...desc }),
    diffId: () => layer.diffId(),
    compressed: () => layer.compressed(),
    uncompressed: () => layer.uncompressed(),
  };
  if (layer.uncompressedSize) out.uncompressedSize = () => layer.uncompressedSize!();
  return out;
}

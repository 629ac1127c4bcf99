import { inflateRecycling } from './internal/inflate-recycling.js';
import type { Layer } from './layer.js';
import { layerCompression } from './media-types.js';

/**
 * A layer's uncompressed tar, as chunks inflated into a few reused buffers ahead of the reader:
 * **each chunk is only valid until the next one is asked for.** For readers that finish with (or
 * copy) every chunk first, such as layer extraction; anything else should use `uncompressed()`.
 * The stored bytes are verified as by `compressed()`, once the reader has read to the end; a reader
 * that stops early stops the download.
 */
export async function* uncompressedChunks(layer: Layer): AsyncGenerator<Buffer> {
  const compression = layerCompression(layer.mediaType) ?? 'none';
  const stored = await layer.compressed();
  if (compression === 'none') {
    yield* stored as AsyncIterable<Buffer>;
    return;
  }
  yield* inflateRecycling(stored, compression);
}

import { CHUNK_READER, type LayerWithChunkReader } from './internal/chunk-reader.js';
import type { Layer } from './layer.js';

/**
 * A layer's uncompressed tar as chunks. **Each chunk is only valid until the next one is asked
 * for**: a layer made by `layerFromBlob` (registry, OCI layout, docker-archive sources) inflates into
 * a few reused buffers ahead of the reader (`internal/inflate-recycling.ts`). Any other layer,
 * including a wrapper that spread one, is read through its own `uncompressed()`. For readers that
 * finish with (or copy) every chunk first, such as layer extraction; anything else should use
 * `uncompressed()`. The stored bytes are verified as by `compressed()`, once the reader has read to
 * the end; a reader that stops early stops the download.
 */
export async function* uncompressedChunks(layer: Layer): AsyncGenerator<Buffer> {
  const reader = (layer as LayerWithChunkReader)[CHUNK_READER];
  if (reader) yield* reader();
  else yield* (await layer.uncompressed()) as AsyncIterable<Buffer>;
}

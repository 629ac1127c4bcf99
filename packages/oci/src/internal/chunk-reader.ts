import type { Layer } from '../layer.js';

/**
 * Where `layerFromBlob` keeps its reader of the uncompressed tar through reused buffers (see
 * `uncompressedChunks`). Not enumerable, so a wrapper made by spreading a layer (`{ ...layer,
 * uncompressed }`, e.g. one that tees the stream) does not carry it: its own `uncompressed()` is used.
 */
export const CHUNK_READER: unique symbol = Symbol('kaniko-ts.layer.chunkReader');

/** A layer that may carry `CHUNK_READER`. */
export type LayerWithChunkReader = Layer & { [CHUNK_READER]?: () => AsyncGenerator<Buffer> };

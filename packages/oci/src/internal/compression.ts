import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { Compression } from '../media-types.js';
import type { GzipPool } from './gzip-pool.js';
import { ParallelGzip } from './parallel-gzip.js';

/**
 * Layers inflate in 1 MiB chunks with up to 4 MiB queued on either side, so the thread pool keeps
 * inflating while the reader (e.g. a layer being extracted) works through what is already there.
 * zlib's 16 KiB default made a 170 MB base layer cost 11,000 thread-pool round trips, each waiting
 * for a turn of the event loop: extracting it took 2.0 s instead of 0.7–0.8 s.
 */
const DECOMPRESS_OPTIONS = {
  chunkSize: 1024 * 1024,
  readableHighWaterMark: 4 * 1024 * 1024,
  writableHighWaterMark: 4 * 1024 * 1024,
};

/** A decompressor transform for a layer compression (`none` is a pass-through). */
export function createDecompressor(compression: Compression): Transform {
  switch (compression) {
    case 'gzip':
      return zlib.createGunzip(DECOMPRESS_OPTIONS);
    case 'zstd':
      return zlib.createZstdDecompress(DECOMPRESS_OPTIONS);
    default:
      return new PassThrough();
  }
}

/**
 * Sets the gzip header's OS byte (offset 9) to 255 ("unknown"), as Go's gzip writer does, so the
 * compressed bytes do not depend on the host OS. zlib already writes mtime 0 and no file name.
 */
class GzipHeaderNormalizer extends Transform {
  #offset = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#offset <= 9 && this.#offset + chunk.byteLength > 9) {
      const copy = Buffer.from(chunk);
      copy[9 - this.#offset] = 0xff;
      chunk = copy;
    }
    this.#offset += chunk.byteLength;
    cb(null, chunk);
  }
}

/** Default compression levels: gzip 6 (zlib's default), zstd 3 (zstd's default). */
export const DEFAULT_LEVEL: Readonly<Record<Compression, number>> = Object.freeze({
  gzip: 6,
  zstd: 3,
  none: 0,
});

/** How gzip is written: block-parallel (default) or as one classic zlib stream. */
export interface GzipCompressorOptions {
  /**
   * Default `true`: streams of at least `minParallelSize` (4 MiB) are compressed in blocks on libuv
   * threads (pigz-style); smaller ones get the single-stream bytes. `false`: always single-stream.
   */
  parallel?: boolean;
  /** Uncompressed bytes per parallel block (default 256 KiB). Part of what determines the bytes. */
  blockSize?: number;
  /** Threshold for the parallel format (default 4 MiB). Part of what determines the bytes. */
  minParallelSize?: number;
  /** A caller-owned pool (`createGzipPool`), reused across layers; else one per large layer. */
  pool?: GzipPool;
  /** Blocks deflated at once by a pool made for one layer (default `os.availableParallelism()`). */
  threads?: number;
}

/**
 * Compressor transforms for a layer compression; returns a list to pipe in order. Output is
 * deterministic for equal input, level, gzip block options and Node/zlib version (not thread count).
 */
export function createCompressor(
  compression: Compression,
  level?: number,
  gzip: GzipCompressorOptions = {},
): Transform[] {
  switch (compression) {
    case 'gzip':
      if (gzip.parallel !== false)
        return [
          new ParallelGzip({
            level: level ?? DEFAULT_LEVEL.gzip,
            ...(gzip.blockSize !== undefined ? { blockSize: gzip.blockSize } : {}),
            ...(gzip.minParallelSize !== undefined ? { minParallelSize: gzip.minParallelSize } : {}),
            ...(gzip.pool ? { pool: gzip.pool } : {}),
            ...(gzip.threads !== undefined ? { threads: gzip.threads } : {}),
          }),
        ];
      return [
        zlib.createGzip({ level: level ?? DEFAULT_LEVEL.gzip, chunkSize: 64 * 1024 }),
        new GzipHeaderNormalizer(),
      ];
    case 'zstd':
      return [zlib.createZstdCompress({ params: zstdParams(level) })];
    default:
      return [];
  }
}

/** zstd parameters: the level, and no content-size field so one-shot and streaming output agree. */
export function zstdParams(level?: number): Record<number, number> {
  return {
    [zlib.constants.ZSTD_c_compressionLevel]: level ?? DEFAULT_LEVEL.zstd,
    [zlib.constants.ZSTD_c_contentSizeFlag]: 0,
  };
}

/** Detects gzip/zstd by magic bytes; everything else is `none`. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

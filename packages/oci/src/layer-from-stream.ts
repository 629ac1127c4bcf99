import { randomBytes } from 'node:crypto';
import { close, createReadStream, open, write } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, digestHex, digestStream, sha256 } from './digest.js';
import { createCompressor, type GzipCompressorOptions } from './internal/compression.js';
import { createGzipPool, type GzipPool } from './internal/gzip-pool.js';
import { ParallelGzip } from './internal/parallel-gzip.js';
import { bytesStream, readAll } from './internal/streams.js';
import { type Layer, layerFromBlob } from './layer.js';
import { type Compression, layerCompression, layerMediaType } from './media-types.js';
import { OciError } from './oci-error.js';

/** How to turn an uncompressed tar into a layer blob. */
export interface LayerOptions {
  /** Default `gzip`. */
  compression?: Compression;
  /** gzip 1–9 (default 6), zstd 1–22 (default 3). */
  level?: number;
  /** Override the media type (default: the OCI layer type for `compression`). */
  mediaType?: string;
  annotations?: Record<string, string>;
  /**
   * Where the compressed blob is written: an exact file path. Default: a file named after the blob's
   * digest in `dir`.
   */
  path?: string;
  /** Directory for the blob when `path` is not given. Default: `os.tmpdir()`. */
  dir?: string;
  /**
   * gzip only. Default `true`: a layer of 4 MiB or more is compressed block-parallel on libuv threads
   * (pigz-style; one valid gzip stream); smaller ones get single-stream bytes. `false`: always one
   * zlib stream on one core (the output bytes differ from the parallel format for large layers).
   */
  parallel?: boolean;
  /** gzip only: a caller-owned pool from `createGzipPool`, reused across layers (else one per layer). */
  gzipPool?: GzipPool;
  /** gzip only: blocks deflated at once by a per-layer pool (default `os.availableParallelism()`); bytes do not change. */
  threads?: number;
  /** gzip only: uncompressed bytes per parallel block (default 256 KiB); changes the bytes. */
  gzipBlockSize?: number;
  /**
   * `layerFromStream` only: called with `n` once the layer is done with the first `n` bytes of the
   * source (hashed, and copied into the compressor or written to the blob file; no reference kept),
   * so the producer may reuse the memory that held them. Calls come in order, `n` growing.
   */
  onInputConsumed?: (bytes: number) => void;
}

export { createGzipPool, type GzipPool };

function gzipOptions(opts: LayerOptions): GzipCompressorOptions {
  return {
    ...(opts.parallel !== undefined ? { parallel: opts.parallel } : {}),
    ...(opts.gzipPool ? { pool: opts.gzipPool } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.gzipBlockSize !== undefined ? { blockSize: opts.gzipBlockSize } : {}),
  };
}

function resolveMediaType(opts: LayerOptions, compression: Compression): string {
  const mediaType = opts.mediaType ?? layerMediaType(compression, 'oci');
  const declared = layerCompression(mediaType);
  if (declared !== undefined && declared !== compression) {
    throw new OciError(
      'INVALID_ARGUMENT',
      `creating layer: media type ${mediaType} says ${declared}, compression is ${compression}`,
    );
  }
  return mediaType;
}

/**
 * Compresses and hashes a tar stream in one pass: the uncompressed bytes give the diffID, the
 * compressed bytes give the digest and size and go to a file. Memory stays flat (streams with
 * back-pressure); the layer reads the file back whenever it is asked for content. `source` may be a
 * Node stream, a streamx stream (tar-stream's `pack()`) or any async iterable of bytes.
 */
export async function layerFromStream(
  source: Readable | AsyncIterable<unknown>,
  opts: LayerOptions = {},
): Promise<Layer> {
  const compression = opts.compression ?? 'gzip';
  const mediaType = resolveMediaType(opts, compression);
  const dir = opts.dir ?? tmpdir();
  const tmp = opts.path
    ? `${opts.path}.${randomBytes(6).toString('hex')}.partial`
    : join(dir, `.layer-${randomBytes(8).toString('hex')}.partial`);
  const uncompressedHash = digestStream();
  const compressedHash = digestStream();
  const stages = createCompressor(compression, opts.level, gzipOptions(opts));
  // the blob file is the only consumer of the compressed chunks: it hands each back once written
  const gzip = stages.find((s): s is ParallelGzip => s instanceof ParallelGzip);
  const consumed = opts.onInputConsumed;
  let written = gzip?.recycleOutput();
  if (consumed && gzip) gzip.trackInput(consumed);
  else if (consumed && stages.length === 0) written = countingRelease(consumed);
  else if (consumed) stages.unshift(copyingRelease(consumed));
  try {
    await pipeline([
      source,
      uncompressedHash,
      ...stages,
      compressedHash,
      new FileSink(tmp, written),
    ] as unknown as [Readable, ...Transform[], Writable]);
  } catch (cause) {
    await rm(tmp, { force: true });
    if (cause instanceof OciError) throw cause;
    throw new OciError('INVALID_ARGUMENT', `creating layer: ${(cause as Error).message}`, { cause });
  }
  const { digest, size } = compressedHash.result();
  const diff = uncompressedHash.result();
  const file = opts.path ?? join(dir, `layer-${digestHex(digest)}${extension(compression)}`);
  await rename(tmp, file);
  return layerFromBlob({
    descriptor: { mediaType, digest, size, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    open: async () => createReadStream(file),
    diffId: diff.digest,
    uncompressedSize: diff.size,
  });
}

/**
 * Writes chunks to a new file, like `createWriteStream`, and tells `release` when a chunk's bytes
 * are on their way to the file (so the compressor may reuse its buffer).
 */
class FileSink extends Writable {
  readonly #path: string;
  readonly #release: ((chunk: Uint8Array) => void) | undefined;
  #fd = -1;

  constructor(path: string, release?: (chunk: Uint8Array) => void) {
    super();
    this.#path = path;
    this.#release = release;
  }

  override _construct(cb: (error?: Error | null) => void): void {
    open(this.#path, 'w', (err, fd) => {
      if (!err) this.#fd = fd;
      cb(err);
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    const next = (off: number): void => {
      if (off >= chunk.byteLength) {
        this.#release?.(chunk);
        cb();
        return;
      }
      write(this.#fd, chunk, off, chunk.byteLength - off, null, (err, n) => (err ? cb(err) : next(off + n)));
    };
    next(0);
  }

  override _final(cb: (error?: Error | null) => void): void {
    const fd = this.#fd;
    this.#fd = -1;
    close(fd, (err) => cb(err));
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.#fd < 0) {
      cb(err);
      return;
    }
    const fd = this.#fd;
    this.#fd = -1;
    close(fd, () => cb(err));
  }
}

/** Uncompressed blobs: the input is done with once the blob file has it. */
function countingRelease(consumed: (bytes: number) => void): (chunk: Uint8Array) => void {
  let n = 0;
  return (chunk) => {
    n += chunk.byteLength;
    consumed(n);
  };
}

/** Compressors that do not say when they are done with a chunk (zstd, single-stream gzip) get a copy. */
function copyingRelease(consumed: (bytes: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const copy = Buffer.from(chunk);
      n += chunk.byteLength;
      consumed(n);
      cb(null, copy);
    },
  });
}

function extension(compression: Compression): string {
  return compression === 'gzip' ? '.tar.gz' : compression === 'zstd' ? '.tar.zst' : '.tar';
}

/**
 * A layer from a tar file on disk. With `compression: 'none'` the file itself is the blob (it is
 * hashed, not copied, and must stay in place while the layer is used); otherwise see `layerFromStream`.
 */
export async function layerFromFile(tarPath: string, opts: LayerOptions = {}): Promise<Layer> {
  const compression = opts.compression ?? 'gzip';
  if (compression !== 'none' || opts.path) return layerFromStream(createReadStream(tarPath), opts);
  const mediaType = resolveMediaType(opts, compression);
  const hash = digestStream();
  await pipeline(createReadStream(tarPath), hash, async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
  const { digest, size } = hash.result();
  return layerFromBlob({
    descriptor: { mediaType, digest, size, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    open: async () => createReadStream(tarPath),
    diffId: digest,
    uncompressedSize: size,
  });
}

/** Compresses in memory through the same streaming compressor (one-shot zstd picks other parameters). */
async function compressBytes(
  bytes: Uint8Array,
  compression: Compression,
  level?: number,
  gzip: GzipCompressorOptions = {},
): Promise<Uint8Array> {
  const stages = createCompressor(compression, level, gzip);
  if (stages.length === 0) return bytes;
  const out = new PassThrough();
  const [, data] = await Promise.all([
    pipeline([bytesStream(bytes), ...stages, out] as unknown as [Readable, Transform]),
    readAll(out),
  ]);
  return data;
}

/**
 * A layer (or opaque artifact blob) held in memory: for small layers, configs of artifacts,
 * signatures and attestations. `bytes` are the uncompressed content; default compression is `none`,
 * and an explicit non-layer `mediaType` (e.g. a Sigstore bundle) makes it an opaque blob.
 */
export async function layerFromBytes(
  bytes: Uint8Array | string,
  opts: Omit<LayerOptions, 'path' | 'dir'> = {},
): Promise<Layer> {
  const raw = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const compression = opts.compression ?? 'none';
  const mediaType = resolveMediaType(opts, compression);
  const stored = await compressBytes(raw, compression, opts.level, gzipOptions(opts));
  const digest: Digest = sha256(stored);
  return layerFromBlob({
    descriptor: {
      mediaType,
      digest,
      size: stored.byteLength,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    open: async () => bytesStream(stored),
    diffId: compression === 'none' ? digest : sha256(raw),
    uncompressedSize: raw.byteLength,
  });
}

/**
 * A layer from an already-compressed blob on disk (a cache entry, a layout blob). The compressed
 * digest is computed by hashing the file; pass `diffId` when known to avoid decompressing it.
 */
export async function layerFromCompressedFile(
  blobPath: string,
  opts: {
    mediaType: string;
    diffId?: Digest;
    uncompressedSize?: number;
    annotations?: Record<string, string>;
  },
): Promise<Layer> {
  const hash = digestStream();
  await pipeline(createReadStream(blobPath), hash, async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
  const { digest, size } = hash.result();
  return layerFromBlob({
    descriptor: {
      mediaType: opts.mediaType,
      digest,
      size,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    open: async () => createReadStream(blobPath),
    ...(opts.diffId ? { diffId: opts.diffId } : {}),
    ...(opts.uncompressedSize !== undefined ? { uncompressedSize: opts.uncompressedSize } : {}),
  });
}

import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { chunkProcessing } from './chunk-processing.js';
import { createDecompressor } from './compression.js';

/** What inflating drives beyond `_processChunk` (see chunk-processing.ts). */
interface InflateInternals {
  /** The flush flags the stream itself uses for a write and for the end (zlib and zstd differ). */
  _defaultFlushFlag?: unknown;
  _finishFlushFlag?: unknown;
}

export interface InflateRecyclingOptions {
  /** Output buffer size (default 1 MiB). */
  bufferSize?: number;
  /** Output chunks inflated ahead of the consumer (default 4). */
  ahead?: number;
  /** Compressed bytes per inflate call (default 64 KiB): small enough that output rarely overflows a buffer. */
  piece?: number;
  /** Tests: use the plain decompressor stream, as where zlib's internals are missing. */
  plainStream?: boolean;
}

/**
 * Inflates `source` (gzip or zstd) on libuv's thread pool into a few reused output buffers, working
 * ahead of the consumer. **Each yielded chunk is only valid until the next one is asked for**: its
 * memory is then reused. For consumers that finish with (or copy) each chunk first, like layer
 * extraction.
 *
 * Why: a stream decompressor allocates a fresh buffer for every chunk of output. Held while queued,
 * those buffers outlive young-generation collections, and V8 then reclaims them only by full
 * mark-compacts: extracting a 170 MB Debian layer took a dozen of them (~10 ms each with their
 * marking steps). Reusing four buffers leaves one.
 *
 * Node has no public "inflate into this buffer" call: like `deflateInto`, this drives a zlib
 * stream's `_processChunk` with its output buffer set to ours; without those internals it falls back
 * to the plain decompressor stream (fresh buffers, same bytes). Output that overflows a buffer (input
 * compressed more than 16:1) goes to buffers zlib allocates, which are simply not reused.
 */
export async function* inflateRecycling(
  source: Readable,
  compression: 'gzip' | 'zstd',
  opts: InflateRecyclingOptions = {},
): AsyncGenerator<Buffer> {
  const size = opts.bufferSize ?? 1024 * 1024;
  const ahead = opts.ahead ?? 4;
  const piece = opts.piece ?? 64 * 1024;
  const stream: (zlib.Gunzip | zlib.ZstdDecompress) & InflateInternals =
    compression === 'gzip'
      ? zlib.createGunzip({ chunkSize: 64 })
      : zlib.createZstdDecompress({ chunkSize: 64 });
  const d = opts.plainStream ? undefined : chunkProcessing(stream);
  if (d === undefined) {
    stream.close();
    yield* source.pipe(createDecompressor(compression)) as AsyncIterable<Buffer>;
    return;
  }
  const processChunk = d._processChunk.bind(d);
  const flushWrite =
    typeof d._defaultFlushFlag === 'number' ? d._defaultFlushFlag : zlib.constants.Z_NO_FLUSH;
  const flushEnd = typeof d._finishFlushFlag === 'number' ? d._finishFlushFlag : zlib.constants.Z_FINISH;
  // where zlib parks the rest of an inflate call when push() says the reader is full (see resume)
  const idleRead = d._read;

  const owned = new Set<ArrayBufferLike>();
  const free: Buffer[] = [];
  const take = (): Buffer => {
    const reused = free.pop();
    if (reused) return reused;
    const fresh = Buffer.allocUnsafeSlow(size);
    owned.add(fresh.buffer);
    return fresh;
  };
  const release = (chunk: Buffer): void => {
    if (owned.has(chunk.buffer) && free.length < ahead + 2)
      free.push(Buffer.from(chunk.buffer, 0, size) as Buffer);
  };

  const ready: Buffer[] = [];
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sleep = () => new Promise<void>((resolve) => (wake = resolve));
  let out: Buffer | undefined; // the buffer of the current inflate call
  let outUsed = false;
  // zlib hands each piece of output to push(); false makes it park the rest of the call (input that
  // inflates past a buffer, e.g. runs of zeros) until resume(), so memory stays bounded
  d.push = (chunk) => {
    if (chunk) {
      if (chunk.buffer === out?.buffer) outUsed = true;
      ready.push(chunk);
      signal();
    }
    return ready.length < ahead;
  };
  const resume = () => {
    if (d._read !== idleRead && ready.length < ahead && !d.destroyed) d._read(0);
  };
  let failure: { error: unknown } | undefined;
  let finished = false;
  let stopped = false;
  // a zlib error destroys the stream and never calls the chunk's callback: the pending inflate fails
  let failPending: ((error: Error) => void) | undefined;
  d.once('error', (error) => {
    failure ??= { error };
    failPending?.(error);
    signal();
  });

  const inflate = (input: Buffer, flush: number): Promise<void> =>
    new Promise((resolve, reject) => {
      out = take();
      outUsed = false;
      d._outBuffer = out;
      d._outOffset = 0;
      d._chunkSize = size;
      failPending = reject;
      if (d.destroyed) {
        reject(failure?.error ?? new Error('inflate stream closed'));
        return;
      }
      processChunk(input, flush, () => {
        if (d.destroyed) {
          reject(failure?.error ?? new Error('inflate stream closed before its output'));
          return;
        }
        if (!outUsed && out) free.push(out);
        out = undefined;
        resolve();
      });
    });

  const pump = (async () => {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; off += piece) {
        while (ready.length >= ahead && !stopped) await sleep();
        if (stopped) return;
        await inflate(chunk.subarray(off, off + piece), flushWrite);
      }
    }
    if (!stopped) await inflate(Buffer.alloc(0), flushEnd);
  })().then(
    () => {
      finished = true;
      signal();
    },
    (error: unknown) => {
      failure ??= { error };
      signal();
    },
  );

  let lent: Buffer | undefined;
  try {
    for (;;) {
      if (lent) {
        release(lent);
        lent = undefined;
      }
      const next = ready.shift();
      if (next) {
        lent = next;
        signal(); // room for the pump
        resume();
        yield next;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await sleep();
    }
  } finally {
    stopped = true;
    signal();
    if (!finished && !failure) source.destroy();
    // an inflate call parked by push() (or still running) ends the pump now instead of never
    failPending?.(new Error('inflating stopped by its reader'));
    await pump;
    d.close();
  }
}

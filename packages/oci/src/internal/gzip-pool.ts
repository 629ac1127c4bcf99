import { availableParallelism } from 'node:os';
import zlib from 'node:zlib';
import { OciError } from '../oci-error.js';
import { deflateInto } from './deflate-into.js';
import { SampleDeflater } from './sample-deflater.js';

/** Deflate's window: a block's preset dictionary is at most this long. */
export const WINDOW = 32 * 1024;
/**
 * Bytes of each of the eight evenly spread samples that decide whether a block is stored. Eight small
 * samples rather than three large ones: a block that mixes text with compressed files is stored only
 * when every sample lands in incompressible bytes (with three 16 KiB samples, 1 GiB of 60% text /
 * 40% random runs came out 3% larger than single-stream gzip).
 */
const SAMPLE = 4 * 1024;
const SAMPLES = 8;
/** Blocks shorter than this are always deflated. */
const MIN_STORED_BLOCK = 128 * 1024;

/**
 * The output space a block of a stream with `blockSize` blocks is deflated into. Part of the
 * format: zlib cuts stored blocks (level 0) to the output space it is given.
 */
export function deflateOutputSize(blockSize: number): number {
  // deflate's worst case is a few bytes per 16 KiB stored block; a flush adds a few more
  return blockSize + (blockSize >>> 4) + 4096;
}

/**
 * Memory for one block in flight, owned by the compressor and reused: `input` holds the dictionary
 * right before offset `WINDOW` and the block from there.
 */
export interface DeflateSlot {
  input: Buffer;
  /** `deflateOutputSize(blockSize)`. */
  outputSize: number;
}

/** A slot for blocks of up to `blockSize` bytes. */
export function createDeflateSlot(blockSize: number): DeflateSlot {
  return { input: Buffer.allocUnsafeSlow(WINDOW + blockSize), outputSize: deflateOutputSize(blockSize) };
}

/** One block to deflate, already written into `slot.input`. */
export interface DeflateBlock {
  slot: DeflateSlot;
  /** Bytes of preset dictionary before `WINDOW` (the previous block's end; 0 for the first). */
  dictLength: number;
  length: number;
  level: number;
  /** The last block ends the deflate stream (Z_FINISH); others end with a sync flush. */
  final: boolean;
  /**
   * Where to deflate (a caller-recycled buffer of at least `slot.outputSize` bytes): the promise
   * then resolves to a view of it from offset 0, so a block allocates nothing. Otherwise a fresh buffer.
   */
  target?: Buffer;
}

/**
 * Runs the deflate of gzip blocks on libuv's thread pool, `threads + 1` at a time: no worker isolates
 * and no copies between threads. The caller owns it and must `close()` it; one pool can serve many
 * layers, one after another or at once. The slot must stay untouched until the promise settles.
 */
export interface GzipPool {
  /**
   * Cores to keep busy: `threads + 1` blocks are deflated at once, one more than cores, so that a
   * core does not idle while a block waits for the main thread between its steps (samples, deflate).
   * libuv has 4 threads by default; with 2 cores one stays free for file I/O.
   */
  readonly threads: number;
  /** Raw deflate bytes of the block (in `block.target` when given and large enough). */
  deflate(block: DeflateBlock): Promise<Buffer>;
  /** Refuses new blocks, fails those still queued, and waits for those being deflated. */
  close(): Promise<void>;
}

interface Queued {
  block: DeflateBlock;
  resolve(r: Buffer): void;
  reject(e: Error): void;
}

/** A pool keeping `threads` cores busy (default: `os.availableParallelism()`). */
export function createGzipPool(opts: { threads?: number } = {}): GzipPool {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const queue: Queued[] = [];
  const running = new Set<Promise<void>>();
  // one sample deflater per running block, reused (a block's samples go one after another)
  const samplers: SampleDeflater[] = [];
  let closed = false;

  /** Whether none of eight level-1 samples, spread from the block's start to its end, shrinks below 97%. */
  async function incompressible(input: Buffer): Promise<boolean> {
    if (input.byteLength < MIN_STORED_BLOCK) return false;
    const sampler = samplers.pop() ?? new SampleDeflater(Buffer.allocUnsafeSlow(SAMPLE + 4096));
    let reusable = false;
    try {
      for (const at of sampleOffsets(input.byteLength)) {
        const size = await sampler.size(input.subarray(at, at + SAMPLE));
        if (size < SAMPLE * 0.97) {
          reusable = true;
          return false;
        }
      }
      reusable = true;
      return true;
    } finally {
      // after a failure the stream is not trusted again
      if (reusable && !closed) samplers.push(sampler);
      else sampler.close();
    }
  }

  async function run(block: DeflateBlock): Promise<Buffer> {
    const { slot, dictLength, length, level, final, target } = block;
    const input = slot.input.subarray(WINDOW, WINDOW + length);
    const stored = await incompressible(input);
    const options: zlib.ZlibOptions = { level: stored ? 0 : level };
    if (dictLength > 0 && !stored) options.dictionary = slot.input.subarray(WINDOW - dictLength, WINDOW);
    const flush = final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
    const recycled = target !== undefined && target.byteLength >= slot.outputSize;
    const into = recycled ? target.subarray(0, slot.outputSize) : Buffer.allocUnsafe(slot.outputSize);
    const out = await deflateInto(input, options, flush, into);
    // without a target, keep only the bytes (a text block's output is a fraction of the space)
    return recycled || out.buffer !== into.buffer ? out : Buffer.from(out);
  }

  function pump(): void {
    while (running.size <= threads && queue.length > 0) {
      const { block, resolve, reject } = queue.shift() as Queued;
      const task = run(block).then(resolve, (e: Error) =>
        reject(new OciError('INVALID_ARGUMENT', `compressing gzip block: ${e.message}`, { cause: e })),
      );
      running.add(task);
      void task.finally(() => {
        running.delete(task);
        pump();
      });
    }
  }

  return {
    threads,
    deflate(block) {
      if (closed)
        return Promise.reject(new OciError('INVALID_ARGUMENT', 'compressing gzip block: pool closed'));
      return new Promise<Buffer>((resolve, reject) => {
        queue.push({ block, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const q of queue.splice(0))
        q.reject(new OciError('INVALID_ARGUMENT', 'compressing gzip block: pool closed'));
      while (running.size > 0) await Promise.allSettled([...running]);
      for (const s of samplers.splice(0)) s.close();
    },
  };
}

/** Where the samples of a block of `length` bytes start: evenly spread, the first at 0, the last ending at the end. */
function sampleOffsets(length: number): number[] {
  const step = (length - SAMPLE) / (SAMPLES - 1);
  return Array.from({ length: SAMPLES }, (_, i) => Math.floor(i * step));
}

import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { OciError } from '../oci-error.js';
import {
  createDeflateSlot,
  createGzipPool,
  type DeflateSlot,
  deflateOutputSize,
  type GzipPool,
  WINDOW,
} from './gzip-pool.js';

/** Default block of uncompressed bytes deflated as one task. */
export const DEFAULT_GZIP_BLOCK_SIZE = 1024 * 1024;
/** Streams shorter than this get the classic single-stream gzip bytes (threads would not pay). */
export const DEFAULT_MIN_PARALLEL_SIZE = 4 * 1024 * 1024;

/** Blocks filled and handed to the pool per pool thread, so a thread never waits for the next one. */
const IN_FLIGHT_PER_THREAD = 4;

export interface ParallelGzipOptions {
  /** 1–9, default 6. */
  level?: number;
  /** Uncompressed bytes per block, at least 64 KiB (default 1 MiB). Changes the output bytes. */
  blockSize?: number;
  /** Below this many bytes in total the output is plain single-stream gzip (default 4 MiB). */
  minParallelSize?: number;
  /** A caller-owned pool; without one, a pool is made when the stream turns out large, and closed at its end. */
  pool?: GzipPool;
  /** Blocks deflated at once by the pool made here (default `os.availableParallelism()`); never changes the bytes. */
  threads?: number;
}

/**
 * Gzip with blocks compressed in parallel, pigz-style: the input is cut into fixed-size blocks, each
 * raw-deflated on libuv's thread pool with the previous block's last 32 KiB as preset dictionary, every block
 * but the last ending with a sync flush, so the blocks concatenate into one valid deflate stream.
 * Around it: a deterministic gzip header (mtime 0, no name, OS 255) and the trailer (CRC-32 of all
 * input, computed here, and its length mod 2^32). The bytes depend only on the input, level, block
 * size and threshold, never on thread count or scheduling. Memory stays flat: at most a few blocks
 * are in flight, and downstream back-pressure holds the writer.
 */
export class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #blockSize: number;
  readonly #minParallel: number;
  readonly #threads: number | undefined;
  #pool: GzipPool | undefined;
  #ownsPool = false;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #parallel = false;
  #crc = 0;
  #size = 0;
  /** The block being filled, its byte count and the dictionary already copied in front of it. */
  #slot: DeflateSlot | undefined;
  #fill = 0;
  #dictLength = 0;
  #free: DeflateSlot[] = [];
  #inFlight = 0;
  #tail: Promise<void> = Promise.resolve();
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Output buffers the consumer handed back (see `recycleOutput`), and every one made for that. */
  #recycling = false;
  #outFree: Buffer[] = [];
  #outOwned = new Map<ArrayBufferLike, Buffer>();
  /** Told how many input bytes are copied in (see `trackInput`). */
  #onConsumed: ((bytes: number) => void) | undefined;
  #consumed = 0;

  constructor(opts: ParallelGzipOptions = {}) {
    super();
    this.#level = opts.level ?? 6;
    this.#blockSize = opts.blockSize ?? DEFAULT_GZIP_BLOCK_SIZE;
    this.#minParallel = opts.minParallelSize ?? DEFAULT_MIN_PARALLEL_SIZE;
    this.#pool = opts.pool;
    this.#threads = opts.threads;
    if (!Number.isInteger(this.#level) || this.#level < 1 || this.#level > 9)
      throw new OciError('INVALID_ARGUMENT', `creating gzip compressor: level ${this.#level} is not 1–9`);
    if (!Number.isInteger(this.#blockSize) || this.#blockSize < 2 * WINDOW)
      throw new OciError(
        'INVALID_ARGUMENT',
        `creating gzip compressor: block size ${this.#blockSize} < 64 KiB`,
      );
  }

  /**
   * Opts in to output recycling: the compressed blocks this stream pushes are then views of a few
   * buffers it reuses, and the consumer must call the returned function with each chunk once it no
   * longer needs its bytes (chunks it never releases are simply not reused). Without this, every
   * block is a fresh buffer, freed only when V8's external-memory trigger fires.
   */
  recycleOutput(): (chunk: Uint8Array) => void {
    this.#recycling = true;
    return (chunk) => {
      const whole = this.#outOwned.get(chunk.buffer);
      if (whole && chunk.byteOffset === 0 && !this.#outFree.includes(whole)) this.#outFree.push(whole);
    };
  }

  /**
   * Opts in to input release: `consumed(n)` is called as soon as the first `n` bytes of input have
   * been copied into block slots (or, below the parallel threshold, into held copies), so the
   * producer may reuse the memory that held them. No input chunk is referenced after that.
   */
  trackInput(consumed: (bytes: number) => void): void {
    this.#onConsumed = consumed;
  }

  #release(chunk: Buffer): void {
    if (!this.#onConsumed) return;
    this.#consumed += chunk.byteLength;
    this.#onConsumed(this.#consumed);
  }

  /** A buffer for the next block's output: a released one, a new recycled one, or none. */
  #outTarget(maxInFlight: number): Buffer | undefined {
    if (!this.#recycling) return undefined;
    const free = this.#outFree.pop();
    if (free) return free;
    // enough for every block in flight plus those waiting downstream; past that, fresh copies
    if (this.#outOwned.size >= maxInFlight + 8) return undefined;
    const b = Buffer.allocUnsafeSlow(deflateOutputSize(this.#blockSize));
    this.#outOwned.set(b.buffer, b);
    return b;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#crc = zlib.crc32(chunk, this.#crc);
    this.#size += chunk.byteLength;
    if (!this.#parallel) {
      // held until the stream turns out large or ends: a copy when the producer wants its memory back
      this.#held.push(this.#onConsumed ? Buffer.from(chunk) : chunk);
      this.#heldBytes += chunk.byteLength;
      this.#release(chunk);
      if (this.#heldBytes < this.#minParallel) {
        cb();
        return;
      }
      this.#goParallel();
      const held = this.#held;
      this.#held = [];
      this.#heldBytes = 0;
      this.#appendAll(held).then(() => cb(), cb);
      return;
    }
    this.#appendAll([chunk]).then(() => {
      this.#release(chunk);
      cb();
    }, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#parallel) {
      this.#single().then(() => cb(), cb);
      return;
    }
    this.#finish().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#closePool().then(
      () => cb(err),
      () => cb(err),
    );
  }

  /** The whole (small) input as one classic gzip stream, as `zlib.createGzip` writes it. */
  async #single(): Promise<void> {
    const out = await new Promise<Buffer>((resolve, reject) =>
      zlib.gzip(Buffer.concat(this.#held), { level: this.#level }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    this.#held = [];
    out[9] = 0xff;
    this.push(out);
  }

  #goParallel(): void {
    this.#parallel = true;
    if (!this.#pool) {
      this.#pool = createGzipPool(this.#threads === undefined ? {} : { threads: this.#threads });
      this.#ownsPool = true;
    }
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=255, as zlib writes it (XFL from the level)
    const xfl = this.#level === 9 ? 2 : this.#level < 2 ? 4 : 0;
    this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff]));
  }

  async #appendAll(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) {
        // a full block followed by more data is not the last one
        if (this.#fill === this.#blockSize) await this.#dispatch(false);
        this.#slot ??= this.#takeSlot();
        const n = Math.min(this.#blockSize - this.#fill, chunk.byteLength - off);
        this.#slot.input.set(chunk.subarray(off, off + n), WINDOW + this.#fill);
        this.#fill += n;
        off += n;
      }
    }
  }

  #takeSlot(): DeflateSlot {
    return this.#free.pop() ?? createDeflateSlot(this.#blockSize);
  }

  async #dispatch(final: boolean): Promise<void> {
    const pool = this.#pool as GzipPool;
    const maxInFlight = pool.threads * IN_FLIGHT_PER_THREAD;
    while (this.#inFlight >= maxInFlight && !this.#error)
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    if (this.#error) throw this.#error;
    const slot = this.#slot ?? this.#takeSlot();
    const length = this.#fill;
    const target = this.#outTarget(maxInFlight);
    const task = pool.deflate({
      slot,
      dictLength: this.#dictLength,
      length,
      level: this.#level,
      final,
      ...(target ? { target } : {}),
    });
    this.#inFlight++;
    this.#slot = undefined;
    this.#fill = 0;
    this.#dictLength = 0;
    if (!final) {
      // the next block's preset dictionary: this block's last 32 KiB (deflate only reads the slot)
      const next = this.#takeSlot();
      const dict = Math.min(WINDOW, length);
      next.input.set(slot.input.subarray(WINDOW + length - dict, WINDOW + length), WINDOW - dict);
      this.#slot = next;
      this.#dictLength = dict;
    }
    this.#tail = Promise.all([this.#tail, task]).then(
      ([, output]) => {
        this.#inFlight--;
        // a block that did not fit its target went to a fresh buffer: the target is free again
        if (target && output.buffer !== target.buffer) this.#outFree.push(target);
        if (!this.#error) this.push(output);
        this.#free.push(slot);
        this.#wakeUp();
      },
      (e: Error) => {
        this.#inFlight--;
        this.#error ??= e;
        this.#wakeUp();
      },
    );
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #finish(): Promise<void> {
    await this.#dispatch(true);
    await this.#tail;
    if (this.#error) throw this.#error;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.#crc >>> 0, 0);
    trailer.writeUInt32LE(this.#size % 2 ** 32, 4);
    this.push(trailer);
    this.#free = [];
    this.#outFree = [];
    this.#outOwned.clear();
    await this.#closePool();
  }

  async #closePool(): Promise<void> {
    if (!this.#ownsPool || !this.#pool) return;
    const pool = this.#pool;
    this.#pool = undefined;
    this.#ownsPool = false;
    await pool.close();
  }
}

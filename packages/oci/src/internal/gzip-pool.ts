import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OciError } from '../oci-error.js';
import { GZIP_WORKER_SOURCE } from './gzip-worker-source.js';

/** Deflate's window: a block's preset dictionary is at most this long. */
export const WINDOW = 32 * 1024;

/**
 * Shared memory for one block in flight, owned by the compressor and reused: `input` holds the
 * dictionary right before offset `WINDOW` and the block from there; `output` receives the result.
 */
export interface DeflateSlot {
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
}

/** A slot for blocks of up to `blockSize` bytes. */
export function createDeflateSlot(blockSize: number): DeflateSlot {
  return {
    input: new SharedArrayBuffer(WINDOW + blockSize),
    // deflate's worst case is a few bytes per 16 KiB stored block; a flush adds a few more
    output: new SharedArrayBuffer(blockSize + (blockSize >>> 4) + 4096),
  };
}

/** One block for a worker, already written into `slot.input`. */
export interface DeflateBlock {
  slot: DeflateSlot;
  /** Bytes of preset dictionary before `WINDOW` (the previous block's end; 0 for the first). */
  dictLength: number;
  length: number;
  level: number;
  /** The last block ends the deflate stream (Z_FINISH); others end with a sync flush. */
  final: boolean;
  /**
   * Where to copy the result (a caller-recycled buffer): when it is large enough the promise
   * resolves to a view of it, so a block allocates nothing. Otherwise a fresh buffer.
   */
  target?: Buffer;
}

/**
 * A small pool of worker threads that raw-deflate blocks for parallel gzip. The caller owns it and
 * must `close()` it; one pool can serve many layers, one after another or at once. Workers are
 * started on first use and keep the process alive only while they have work.
 */
export interface GzipPool {
  readonly threads: number;
  /**
   * Raw deflate bytes of the block (a copy, into `block.target` when it fits: the slot can be reused
   * when this resolves).
   */
  deflate(block: DeflateBlock): Promise<Buffer>;
  close(): Promise<void>;
}

interface Pending {
  output: SharedArrayBuffer;
  target: Buffer | undefined;
  resolve(r: Buffer): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

function copyOut(output: SharedArrayBuffer, length: number, target: Buffer | undefined): Buffer {
  const bytes = new Uint8Array(output, 0, length);
  if (!target || target.byteLength < length) return Buffer.from(bytes);
  target.set(bytes);
  return target.subarray(0, length);
}

/** A pool of `threads` workers (default: `os.availableParallelism()`). */
export function createGzipPool(opts: { threads?: number } = {}): GzipPool {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const slots: Slot[] = [];
  let nextId = 0;
  let closed = false;

  function fail(slot: Slot, err: Error): void {
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
  }

  function start(): Slot {
    const worker = new Worker(GZIP_WORKER_SOURCE, { eval: true, execArgv: [], stdout: false });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (m: { id: number; length?: number; overflow?: Uint8Array; error?: string }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (slot.pending.size === 0) worker.unref();
      if (m.overflow) p.resolve(Buffer.from(m.overflow));
      else if (m.length !== undefined) p.resolve(copyOut(p.output, m.length, p.target));
      else p.reject(new OciError('INVALID_ARGUMENT', `compressing gzip block: ${m.error ?? 'no output'}`));
    });
    worker.on('error', (err) =>
      fail(slot, new OciError('INVALID_ARGUMENT', `compressing gzip block: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => {
      if (slot.pending.size > 0)
        fail(slot, new OciError('INVALID_ARGUMENT', `compressing gzip block: worker exited with ${code}`));
      else fail(slot, new Error('exited'));
    });
    slots.push(slot);
    return slot;
  }

  /** The least busy worker, starting another while fewer than `threads` run. */
  function pick(): Slot {
    let best: Slot | undefined;
    for (const s of slots) if (!best || s.pending.size < best.pending.size) best = s;
    if (best && (best.pending.size === 0 || slots.length >= threads)) return best;
    return start();
  }

  return {
    threads,
    deflate(block) {
      if (closed)
        return Promise.reject(new OciError('INVALID_ARGUMENT', 'compressing gzip block: pool closed'));
      const slot = pick();
      const id = nextId++;
      return new Promise<Buffer>((resolve, reject) => {
        slot.pending.set(id, { output: block.slot.output, target: block.target, resolve, reject });
        if (slot.pending.size === 1) slot.worker.ref();
        const { slot: shared, dictLength, length, level, final } = block;
        slot.worker.postMessage({ id, slot: shared, dictLength, length, level, final });
      });
    },
    async close() {
      closed = true;
      const all = slots.splice(0);
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}

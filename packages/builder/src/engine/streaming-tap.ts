import { PassThrough, type Readable } from 'node:stream';
import type { Descriptor, Layer } from '@kaniko-ts/oci';
import type { LayerTap } from './build-request.js';

/** Compressed bytes a layer must reach before its upload starts while it is written. */
export const STREAM_AFTER_BYTES = 8 * 1024 * 1024;

/** Starts uploading a blob from `chunks`; `descriptor` resolves after its last chunk. */
export type StartStream = (chunks: Readable, descriptor: Promise<Descriptor>) => Promise<unknown>;

/**
 * Uploads one layer while it is written, once it is big enough to be worth it: the first
 * `threshold` compressed bytes are held (copied), then the upload starts with them and takes every
 * later chunk as it comes. A layer that stays smaller is never streamed (it is pushed as usual, after
 * an existence check the stream cannot make). The upload never fails the build: when it fails, the
 * layer is pushed the usual way from its file (`outcome` answers false). Memory: at most
 * `threshold` bytes held, plus what the upload has not taken yet (back-pressure slows the writer).
 */
export class StreamingTap implements LayerTap {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #pipe: PassThrough | undefined;
  #settle: { resolve: (d: Descriptor) => void; reject: (e: Error) => void } | undefined;
  #outcome: Promise<boolean> | undefined;
  #failed = false;
  #slab: Buffer | undefined;
  #slabUsed = 0;

  constructor(
    private readonly start: StartStream,
    private readonly onEnd: (digest: string, uploaded: Promise<boolean>) => void,
    private readonly threshold = STREAM_AFTER_BYTES,
    /** The upload's chunk size (registry STREAM_CHUNK_SIZE): bytes are handed on in slabs of it. */
    private readonly slabSize = 8 * 1024 * 1024,
  ) {}

  /** Undefined while nothing streams; else true once the registry has the blob, false if it failed. */
  get outcome(): Promise<boolean> | undefined {
    return this.#outcome;
  }

  chunk(bytes: Uint8Array): void | Promise<void> {
    if (this.#failed) return;
    if (this.#pipe === undefined) {
      this.#held.push(Buffer.from(bytes));
      this.#heldBytes += bytes.byteLength;
      if (this.#heldBytes < this.threshold) return;
      this.#begin();
      const held = this.#held;
      this.#held = [];
      return this.#copy(Buffer.concat(held));
    }
    return this.#copy(bytes);
  }

  /**
   * Copies `bytes` into slabs of the upload's chunk size and hands each full slab on: one copy per
   * byte, and the upload sends a slab as it is (no concatenation, far less garbage to collect).
   */
  #copy(bytes: Uint8Array): void | Promise<void> {
    let off = 0;
    let wait: Promise<void> | undefined;
    while (off < bytes.byteLength) {
      this.#slab ??= Buffer.allocUnsafeSlow(this.slabSize);
      const n = Math.min(bytes.byteLength - off, this.slabSize - this.#slabUsed);
      this.#slab.set(bytes.subarray(off, off + n), this.#slabUsed);
      this.#slabUsed += n;
      off += n;
      if (this.#slabUsed === this.slabSize) {
        wait = this.#write(this.#slab) ?? wait;
        this.#slab = undefined;
        this.#slabUsed = 0;
      }
    }
    return wait;
  }

  end(layer: Layer | undefined): void {
    this.#held = [];
    if (this.#pipe === undefined || this.#settle === undefined || this.#outcome === undefined) return;
    if (layer === undefined) {
      this.#settle.reject(new Error('the layer was not written'));
      this.#pipe.destroy();
      return;
    }
    if (this.#slab !== undefined && this.#slabUsed > 0)
      void this.#write(this.#slab.subarray(0, this.#slabUsed));
    this.#slab = undefined;
    this.#pipe.end();
    this.#settle.resolve(layer.descriptor());
    this.onEnd(layer.descriptor().digest, this.#outcome);
  }

  /** Stops the upload (the build failed); `outcome` answers false. */
  cancel(): void {
    this.#failed = true;
    this.#settle?.reject(new Error('build failed'));
    this.#pipe?.destroy();
  }

  #begin(): void {
    // object mode keeps the slabs whole (a byte stream would merge them on read); one queued
    const pipe = new PassThrough({ objectMode: true, highWaterMark: 1 });
    // an upload that failed destroyed the pipe; later writes are dropped, never an 'error' event
    pipe.on('error', () => undefined);
    const descriptor = new Promise<Descriptor>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    descriptor.catch(() => undefined);
    this.#pipe = pipe;
    this.#outcome = this.start(pipe, descriptor).then(
      () => true,
      () => {
        this.#failed = true;
        pipe.destroy();
        return false;
      },
    );
  }

  #write(bytes: Buffer): void | Promise<void> {
    const pipe = this.#pipe as PassThrough;
    if (pipe.destroyed || pipe.write(bytes)) return;
    return new Promise<void>((resolve) => {
      const done = () => {
        pipe.off('drain', done);
        pipe.off('close', done);
        resolve();
      };
      pipe.on('drain', done);
      pipe.on('close', done);
    });
  }
}

import { PassThrough, type Writable } from 'node:stream';
import { type Layer, type LayerOptions, layerFromStream } from '@kaniko-ts/oci';
import type { InputRelease } from '../snapshot/layer-writer.js';

/**
 * The sink `streamLayer` hands to its writer: a pipe that also says when the layer is done with the
 * bytes written so far (`whenConsumed`), so `writeLayer` can reuse its read buffers instead of
 * allocating one per read. A failed layer rejects every wait: the writer never hangs.
 */
class LayerInput extends PassThrough implements InputRelease {
  #consumed = 0;
  #waiting: Array<{ bytes: number; resolve: () => void; reject: (e: Error) => void }> = [];
  #failure: Error | undefined;

  consumed(bytes: number): void {
    this.#consumed = bytes;
    if (this.#waiting.length === 0) return;
    const still = [];
    for (const w of this.#waiting) {
      if (w.bytes <= bytes) w.resolve();
      else still.push(w);
    }
    this.#waiting = still;
  }

  whenConsumed(bytes: number): Promise<void> {
    if (bytes <= this.#consumed) return Promise.resolve();
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ bytes, resolve, reject }));
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.#failure = error ?? new Error('writing layer: the layer stream closed');
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
    super._destroy(error, cb);
  }
}

/**
 * A layer from a tar that `write` streams into its sink (and ends): hashed (diffID and digest) and
 * compressed while it is written, in one pass, with no tar file in between. A failure on either
 * side stops both: the writer is never left waiting on a pipe nobody reads.
 */
export async function streamLayer<T>(
  write: (sink: Writable) => Promise<T>,
  opts: LayerOptions,
): Promise<{ result: T; layer: Layer }> {
  const pipe = new LayerInput();
  const layer = layerFromStream(pipe, { ...opts, onInputConsumed: (n) => pipe.consumed(n) });
  layer.catch((e: unknown) => pipe.destroy(e as Error));
  try {
    const result = await write(pipe);
    return { result, layer: await layer };
  } catch (error) {
    pipe.destroy(error as Error);
    await layer.catch(() => undefined);
    throw error;
  }
}

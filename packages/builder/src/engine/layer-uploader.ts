import type { Layer } from '@kaniko-ts/oci';
import type { LayerSink, LayerTap } from './build-request.js';
import { type StartStream, StreamingTap } from './streaming-tap.js';

/** Pushes one layer's blob (to every destination); must stop between requests once `signal` aborts. */
export type PushLayer = (layer: Layer, signal: AbortSignal) => Promise<unknown>;

/**
 * Uploads the final image's layers while the build goes on: each layer handed to `add` is pushed
 * once (by digest), at most `concurrency` at a time, in the order they came. The build checks
 * `failure()` after each instruction; `settle()` waits for everything and throws the first error
 * (the registry's own typed error); `cancel()` drops what has not started and stops the rest.
 *
 * With `stream`, a big layer starts uploading while it is still written (see StreamingTap): its
 * `add` then waits for that upload and pushes only what is left (other destinations, or the whole
 * layer again from its file if the stream failed).
 */
export class LayerUploader implements LayerSink {
  private readonly queue: Layer[] = [];
  private readonly seen = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private error: { error: unknown } | undefined;
  private readonly concurrency: number;
  private readonly stream: StartStream | undefined;
  private readonly streamAfter: number | undefined;
  private readonly taps = new Set<StreamingTap>();
  /** Uploads made while layers were written, by digest: true once the registry has the blob. */
  private readonly streamed = new Map<string, Promise<boolean>>();
  /** Digests whose upload finished, for tests and logs. */
  readonly uploaded: string[] = [];

  constructor(
    private readonly push: PushLayer,
    opts: { concurrency?: number; stream?: StartStream; streamAfterBytes?: number } = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
    this.stream = opts.stream;
    this.streamAfter = opts.streamAfterBytes;
  }

  tap(): LayerTap | undefined {
    if (this.stream === undefined || this.abort.signal.aborted) return undefined;
    const tap = new StreamingTap(
      this.stream,
      (digest, uploaded) => this.streamed.set(digest, uploaded),
      this.streamAfter,
    );
    this.taps.add(tap);
    return tap;
  }

  add(layer: Layer): void {
    const digest = layer.descriptor().digest;
    if (this.seen.has(digest) || this.abort.signal.aborted) return;
    this.seen.add(digest);
    this.queue.push(layer);
    this.pump();
  }

  failure(): unknown {
    return this.error?.error;
  }

  /** Waits for every upload started or queued (streamed ones too); throws the first failure. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    await this.streamsDone();
    if (this.error) throw this.error.error;
  }

  /** The build failed: queued layers are dropped, running uploads stop at their next request. */
  async cancel(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort(new Error('build failed'));
    for (const tap of this.taps) tap.cancel();
    while (this.running.size > 0) await Promise.all(this.running);
    await this.streamsDone();
  }

  /** Every streamed upload settled (a layer that was streamed but never added is left in the registry). */
  private async streamsDone(): Promise<void> {
    await Promise.all([...this.taps].map((t) => t.outcome));
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0 && !this.error) {
      const layer = this.queue.shift() as Layer;
      // a layer uploaded while it was written: what is left is pushed once that upload settled
      const streamed = this.streamed.get(layer.descriptor().digest) ?? Promise.resolve(false);
      const task: Promise<void> = streamed
        .then(() => this.push(layer, this.abort.signal))
        .then(
          () => {
            this.uploaded.push(layer.descriptor().digest);
          },
          (error: unknown) => {
            if (!this.abort.signal.aborted) this.error ??= { error };
          },
        );
      this.running.add(task);
      void task.finally(() => {
        this.running.delete(task);
        this.pump();
      });
    }
  }
}

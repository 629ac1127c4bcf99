import type { Layer } from '@kaniko-ts/oci';
import type { LayerSink } from './build-request.js';

/** Pushes one layer's blob (to every destination); must stop between requests once `signal` aborts. */
export type PushLayer = (layer: Layer, signal: AbortSignal) => Promise<unknown>;

/**
 * Uploads the final image's layers while the build goes on: each layer handed to `add` is pushed
 * once (by digest), at most `concurrency` at a time, in the order they came. The build checks
 * `failure()` after each instruction; `settle()` waits for everything and throws the first error
 * (the registry's own typed error); `cancel()` drops what has not started and stops the rest.
 */
export class LayerUploader implements LayerSink {
  private readonly queue: Layer[] = [];
  private readonly seen = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private error: { error: unknown } | undefined;
  private readonly concurrency: number;
  /** Digests whose upload finished, for tests and logs. */
  readonly uploaded: string[] = [];

  constructor(
    private readonly push: PushLayer,
    opts: { concurrency?: number } = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
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

  /** Waits for every upload started or queued; throws the first failure. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    if (this.error) throw this.error.error;
  }

  /** The build failed: queued layers are dropped, running uploads stop at their next request. */
  async cancel(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort(new Error('build failed'));
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0 && !this.error) {
      const layer = this.queue.shift() as Layer;
      const task: Promise<void> = this.push(layer, this.abort.signal).then(
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

import type { Readable } from 'node:stream';
import type { EntryType } from './file-system-view.js';

/** One uncompressed layer tar, in image order. */
export interface LayerTar {
  /**
   * `sha256:<hex>` of the uncompressed tar, or a function asked once the tar has been read (for a
   * builder that computes the diffID while the same bytes stream through).
   */
  readonly diffId: string | (() => string | Promise<string>);
  /** Opens the uncompressed tar stream. */
  open(): Promise<Readable | AsyncIterable<Uint8Array>>;
}

/**
 * What to keep of a file while streaming: nothing, its bytes (latest write), its bytes of every
 * write (package databases, for layer attribution), only named ELF sections (executables), or a
 * compact form derived from the bytes at once (`derive`, e.g. the packages found in a jar).
 */
export type RetainMode = 'none' | 'bytes' | 'history' | 'sections' | 'derived';

export interface LayeredViewOptions {
  retain(
    path: string,
    info: { readonly type: EntryType; readonly mode: number; readonly size: number },
  ): RetainMode;
  /** Turns a `derived` file's bytes into what is kept instead (the bytes themselves are dropped). */
  derive?(path: string, data: Uint8Array): Uint8Array;
  /** ELF section names kept for `sections` files. */
  readonly sections: readonly string[];
  /** Files larger than this are never buffered (default 512 MiB). */
  readonly maxRetainedSize?: number;
}

import type { EntryType, FileSystemView } from './file-system-view.js';
import type { CatalogedPackage, Distro } from './inventory.js';
import type { RetainMode } from './layered-view-options.js';

/** A package as a cataloger reports it; the engine adds layer attribution and merges by purl. */
export type FoundPackage = Omit<CatalogedPackage, 'layer' | 'foundBy'>;

export interface CatalogContext {
  readonly view: FileSystemView;
  readonly distro?: Distro;
  /** Adds a non-fatal finding (unsupported database format, unreadable file). */
  warn(message: string): void;
  /** Per-run memo for cataloger-derived values (license lookups), keyed by the cataloger. */
  readonly memo: Map<string, unknown>;
}

/** Finds installed packages from one kind of evidence file. */
export interface Cataloger {
  readonly name: string;
  /**
   * Whether `path` (a real path, no symlinks in it) is evidence, and what the image view must keep
   * of it while streaming. `history` means: every write is parsed to find the introducing layer.
   */
  match(path: string, info: { readonly type: EntryType; readonly mode: number }): RetainMode | undefined;
  /**
   * For `derived` evidence: the compact form the image view keeps instead of the bytes. `parse` must
   * accept both this form (image view) and the raw bytes (directory view).
   */
  derive?(path: string, data: Uint8Array): Uint8Array;
  /** Parses one evidence file. `data` is given for `bytes`/`history`/`derived` evidence. */
  parse(path: string, data: Uint8Array | undefined, ctx: CatalogContext): Promise<FoundPackage[]>;
}

/** Kind of a file-system entry (symlinks are never followed by `stat`). */
export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileInfo {
  readonly type: EntryType;
  readonly size: number;
  /** Permission bits (`0o755`). */
  readonly mode: number;
  /** diffID of the layer that last wrote this path, when known. */
  readonly layer?: string;
}

export interface DirEntry {
  readonly name: string;
  readonly type: EntryType;
}

/**
 * One write of a path: the layer that wrote it and, where the view keeps them, the content digest
 * and bytes. `versions()` lists the writes since the path was last created, oldest first; the last
 * one is what `readFile` returns.
 */
export interface FileVersion {
  readonly layer?: string;
  /** `sha256:<hex>` of the content, when the view computed it. */
  readonly digest?: string;
  readonly data?: Uint8Array;
}

/**
 * A read-only, squashed file system the catalogers work over. Paths are absolute and `/`-separated
 * (`/var/lib/dpkg/status`); nothing is resolved against the host.
 */
export interface FileSystemView {
  /** Entry information without following a final symlink; undefined when absent. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** Directory entries sorted by name; empty when absent or not a directory. */
  list(path: string): Promise<readonly DirEntry[]>;
  readlink(path: string): Promise<string | undefined>;
  /** Bytes of a regular file (follows no symlinks). Throws SbomError NOT_FOUND / NOT_RETAINED. */
  readFile(path: string): Promise<Uint8Array>;
  /** Named ELF sections of an executable (`.go.buildinfo`, `.dep-v0`), empty when not ELF. */
  readSections(path: string, names: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>>;
  versions(path: string): Promise<readonly FileVersion[]>;
  /** Layer diffIDs in order, empty when the view has no layers. */
  readonly layers: readonly string[];
}

/** Joins and normalises an absolute view path (collapses `.`/`..`, never leaves `/`). */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** Resolves symlinks in every component of `path` inside the view (at most 40 hops). */
export async function resolvePath(view: FileSystemView, path: string): Promise<string | undefined> {
  let pending = normalizePath(path).split('/').filter(Boolean);
  let current = '';
  let hops = 0;
  while (pending.length > 0) {
    const seg = pending.shift()!;
    const candidate = `${current}/${seg}`;
    const info = await view.stat(candidate);
    if (!info) return undefined;
    if (info.type === 'symlink') {
      if (++hops > 40) return undefined;
      const target = (await view.readlink(candidate)) ?? '';
      const base = target.startsWith('/') ? '' : current;
      const resolved = normalizePath(`${base}/${target}`);
      pending = [...resolved.split('/').filter(Boolean), ...pending];
      current = '';
      continue;
    }
    current = candidate;
  }
  return current || '/';
}

import type { Dirent, Stats } from 'node:fs';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirEntry, EntryType, FileInfo, FileSystemView, FileVersion } from './file-system-view.js';
import { normalizePath } from './file-system-view.js';
import { type ByteSource, readElfSections } from './internal/elf.js';
import { SbomError } from './sbom-error.js';

export interface DirectoryViewOptions {
  /** Layer diffIDs in order, when the directory is the result of applying layers. */
  readonly layers?: readonly string[];
  /** Which layer last wrote a path (`/usr/bin/x` → `sha256:…`); a map or a function. */
  readonly layerOf?: ReadonlyMap<string, string> | ((path: string) => string | undefined);
}

function typeOf(entry: Dirent | Stats): EntryType {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A `FileSystemView` over a directory on disk (an unpacked root file system). */
class DirectoryView implements FileSystemView {
  readonly layers: readonly string[];

  constructor(
    private readonly root: string,
    private readonly options: DirectoryViewOptions,
  ) {
    this.layers = options.layers ?? [];
  }

  private host(path: string): string {
    return join(this.root, normalizePath(path));
  }

  private layerOf(path: string): string | undefined {
    const l = this.options.layerOf;
    if (!l) return undefined;
    return typeof l === 'function' ? l(normalizePath(path)) : l.get(normalizePath(path));
  }

  // Metadata calls are synchronous on purpose: a catalog stats every file, and a thread-pool round
  // trip per lstat costs several times the call itself.
  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const st = lstatSync(this.host(path));
      const layer = this.layerOf(path);
      return { type: typeOf(st), size: st.size, mode: st.mode & 0o7777, ...(layer ? { layer } : {}) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async list(path: string): Promise<readonly DirEntry[]> {
    try {
      const entries = readdirSync(this.host(path), { withFileTypes: true });
      return entries
        .map((e) => ({ name: e.name, type: typeOf(e) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    }
  }

  async readlink(path: string): Promise<string | undefined> {
    try {
      return readlinkSync(this.host(path));
    } catch {
      return undefined;
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await readFile(this.host(path));
    } catch (cause) {
      throw new SbomError('NOT_FOUND', `reading ${normalizePath(path)}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  async readSections(path: string, names: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>> {
    const fd = openSync(this.host(path), 'r');
    try {
      const { size } = fstatSync(fd);
      const src: ByteSource = {
        size,
        read: async (offset, length) => {
          const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
          const bytesRead = readSync(fd, buf, 0, buf.length, offset);
          return buf.subarray(0, bytesRead);
        },
      };
      return await readElfSections(src, names);
    } finally {
      closeSync(fd);
    }
  }

  async versions(path: string): Promise<readonly FileVersion[]> {
    const layer = this.layerOf(path);
    return [layer ? { layer } : {}];
  }
}

/** Creates a view over `root` (a host directory); view paths are relative to it. */
export function directoryView(root: string, options: DirectoryViewOptions = {}): FileSystemView {
  return new DirectoryView(root, options);
}

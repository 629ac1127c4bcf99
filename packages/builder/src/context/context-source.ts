import type { Readable } from 'node:stream';

/** One path of the build context, as lstat sees it (symlinks are not followed). */
export interface ContextEntry {
  /** Relative, `/`-separated, no leading `./`. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits incl. setuid/setgid/sticky. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** For symlinks. */
  linkTarget?: string;
}

/**
 * The build context as COPY/ADD see it: a directory on disk (`root`) filtered by `.dockerignore`.
 * Every read resolves paths inside `root` (symlinks followed as after a chroot into it), so no
 * context path can reach a file outside the context.
 */
export interface ContextSource {
  /** Directory holding the context. Direct reads should go through the methods below. */
  readonly root: string;
  /** False for paths the ignore filter excludes (relative, `/`-separated). */
  visible(rel: string): boolean;
  /** Visible entries under `rel` (default: the whole context), recursively, sorted by path. */
  list(rel?: string): Promise<ContextEntry[]>;
  /** The entry at `rel` (`follow`: resolve a final symlink inside the context), or undefined. */
  stat(rel: string, opts?: { follow?: boolean }): Promise<ContextEntry | undefined>;
  /** Opens a visible regular file, following symlinks inside the context. */
  open(rel: string): Promise<Readable>;
  readFile(rel: string): Promise<Buffer>;
  /**
   * `sha256:<hex>` over what a COPY of `rel` depends on: file content and mode bits, symlink
   * targets, and for directories the names and digests of their visible entries — never mtimes or
   * owners (a fresh checkout must hit the cache). A final symlink in `rel` is followed.
   */
  digest(rel: string): Promise<string>;
  /** Removes any temporary copy (tar contexts). */
  dispose(): Promise<void>;
}

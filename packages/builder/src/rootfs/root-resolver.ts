import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { BuilderError } from '../builder-error.js';

const MAX_LINKS = 255;

/** Result of resolving a path inside a root. */
export interface Resolved {
  /** Real path relative to the root ('' is the root itself); no component but the last is a symlink. */
  rel: string;
  /** Absolute host path (`root` + `rel`). */
  abs: string;
  /** True when some parent component does not exist (and was not created). */
  missingParent: boolean;
}

/** What `resolveEntry` knows of the last component without asking twice. */
export interface ResolvedEntry extends Resolved {
  /**
   * The last component's `lstat`; `null` when it does not exist; `'dir'` when it is a directory
   * already known to this resolver (no system call was made).
   */
  existing: Stats | null | 'dir';
}

/** `lstat` that answers null for a missing path instead of building an exception. */
export function lstatOrNull(abs: string): Stats | null {
  try {
    return lstatSync(abs, { throwIfNoEntry: false }) ?? null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** True for `a/b/c`: no empty, `.` or `..` component, no leading or trailing slash. */
const isCleanRelative = (path: string): boolean => path !== '' && !/(^|\/)\.{0,2}(\/|$)/.test(path);

/** Splits a path into clean components; `..` is kept for the resolver to apply. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Normalises a tar entry or context path to a clean relative path, or returns null when it climbs
 * above the root (`..` past the top). Absolute names are taken relative to the root.
 */
export function cleanRelative(path: string): string | null {
  // fast path, most layer entries: `a/b/c` or `./a/b/c/` with nothing to normalise
  const trimmed = path.startsWith('./') ? path.slice(2) : path;
  const core = trimmed.endsWith('/') ? trimmed.slice(0, -1) : trimmed;
  if (isCleanRelative(core)) return core;
  const norm = posix.normalize(`/${path}`);
  const rel = norm.replace(/^\/+/, '').replace(/\/+$/, '');
  // posix.normalize('/..') is '/', so climbing is detected lexically before normalising
  let depth = 0;
  for (const c of splitPath(path)) {
    if (c === '..') {
      depth--;
      if (depth < 0) return null;
    } else depth++;
  }
  return rel;
}

/**
 * Resolves paths inside `root` the way the kernel would after `chroot(root)`: every symlink met on
 * the way (absolute or relative, in any parent component) is read and followed *by us*, with
 * absolute targets and `..` clamped to the root, so no resolution ever leaves it and the kernel is
 * only ever handed paths whose parent components are real directories.
 *
 * An instance caches directories already known to be real; call `forget()` when a path is removed
 * or replaced. It assumes nobody else changes the tree concurrently.
 */
export class RootResolver {
  private readonly knownDirs = new Set<string>();

  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Drops cached knowledge about `rel` and everything under it. */
  forget(rel: string): void {
    const prefix = `${rel}/`;
    for (const dir of this.knownDirs) if (dir === rel || dir.startsWith(prefix)) this.knownDirs.delete(dir);
  }

  /** Records `rel` as a real directory (after creating it). */
  remember(rel: string): void {
    this.knownDirs.add(rel);
  }

  /** True when `rel` is a real directory this resolver has seen or made (no system call). */
  isKnownDir(rel: string): boolean {
    return rel === '' || this.knownDirs.has(rel);
  }

  /**
   * `resolve(rel, { createParents })` for a clean relative path (as `cleanRelative` returns), with
   * the last component's lstat in the answer, synchronously. When every parent is a known directory
   * (the usual case while a layer is applied) no system call is made for them; `knownMissing(rel)`
   * may say that the last component cannot exist (e.g. nothing has written it into a root that was
   * empty), which saves its lstat too.
   */
  resolveEntry(
    rel: string,
    opts: { createParents: { mode: number }; knownMissing?: (rel: string) => boolean },
  ): ResolvedEntry {
    const slash = rel.lastIndexOf('/');
    const parent = slash === -1 ? '' : rel.slice(0, slash);
    if (!isCleanRelative(rel) || !this.isKnownDir(parent)) {
      const r = this.resolveSync(rel, opts);
      return { ...r, existing: this.knownDirs.has(r.rel) ? 'dir' : lstatOrNull(r.abs) };
    }
    const abs = this.abs(rel);
    if (this.knownDirs.has(rel)) return { rel, abs, missingParent: false, existing: 'dir' };
    const existing = opts.knownMissing?.(rel) ? null : lstatOrNull(abs);
    return { rel, abs, missingParent: false, existing };
  }

  /**
   * Resolves `path` (relative to the root; `..` and absolute symlink targets clamp at the root).
   * `followFinal` also follows a symlink in the last component. With `createParents`, missing parent
   * directories are created with that mode (owned by the caller).
   */
  async resolve(
    path: string,
    opts: { followFinal?: boolean; createParents?: { mode: number } } = {},
  ): Promise<Resolved> {
    return this.resolveSync(path, opts);
  }

  /** `resolve`, synchronously (every call it makes is a synchronous metadata call). */
  resolveSync(
    path: string,
    opts: { followFinal?: boolean; createParents?: { mode: number } } = {},
  ): Resolved {
    let parts = splitPath(path);
    let cur: string[] = [];
    let links = 0;
    let missingParent = false;
    while (parts.length > 0) {
      const c = parts.shift() as string;
      if (c === '..') {
        cur.pop();
        continue;
      }
      const cand = cur.length ? `${cur.join('/')}/${c}` : c;
      const last = parts.length === 0;
      if (this.knownDirs.has(cand)) {
        cur.push(c);
        continue;
      }
      const st = lstatOrNull(this.abs(cand));
      if (st === null) {
        if (!last && opts.createParents) {
          mkdirSync(this.abs(cand), { mode: opts.createParents.mode });
          this.knownDirs.add(cand);
        } else if (!last) {
          missingParent = true;
        }
        cur.push(c);
        if (missingParent) {
          cur = cur.concat(parts.filter((p) => p !== '..'));
          break;
        }
        continue;
      }
      if (st.isSymbolicLink() && (!last || opts.followFinal)) {
        if (++links > MAX_LINKS) {
          throw new BuilderError('UNSAFE_PATH', `resolving ${path}: too many levels of symbolic links`, {
            entry: path,
          });
        }
        const target = readlinkSync(this.abs(cand));
        if (target.startsWith('/')) cur = [];
        parts = splitPath(target).concat(parts);
        continue;
      }
      if (!last && !st.isDirectory()) {
        throw new BuilderError('UNSAFE_PATH', `resolving ${path}: ${cand} is not a directory`, {
          entry: path,
        });
      }
      if (st.isDirectory()) this.knownDirs.add(cand);
      cur.push(c);
    }
    const rel = cur.join('/');
    return { rel, abs: this.abs(rel), missingParent };
  }
}

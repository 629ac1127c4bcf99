import { chmodSync, copyFileSync, lchownSync, lstatSync, lutimesSync, type Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  symlink,
} from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Chmod } from '@kaniko-ts/dockerfile';
import { mapLimit } from '../internal/map-limit.js';
import { RootResolver } from '../rootfs/root-resolver.js';
import { applyChmod } from './chmod.js';

/** How copied entries are owned and moded. */
export interface CopyAttributes {
  /** `--chown`; when absent, `keepOwner` decides. */
  owner?: { uid: number; gid: number };
  /** Keep the source's uid/gid (COPY --from); otherwise 0:0 (context files). */
  keepOwner: boolean;
  chmod?: Chmod;
  /** Hides source paths (relative to the source root): .dockerignore and --exclude. */
  skip?: (rel: string) => boolean;
  /** Forces a mode on regular files (ADD from a URL: 0600). */
  fileMode?: number;
}

/** Collects the destination paths a COPY changed, for the layer. */
export class ChangeSet {
  readonly paths = new Set<string>();
  add(rel: string): void {
    this.paths.add(posix.normalize(`/${rel}`));
  }
  sorted(): string[] {
    return [...this.paths].filter((p) => p !== '/').sort();
  }
}

/**
 * Creates the missing parent directories of a root-relative `dir` (mode 0755, owned by `owner` or
 * root) and returns the resolved path; existing ancestors are recorded too so the layer carries them.
 */
export async function ensureDirectory(
  root: string,
  dir: string,
  owner: { uid: number; gid: number } | undefined,
  changes: ChangeSet,
): Promise<string> {
  const parts = posix.normalize(`/${dir}`).split('/').filter(Boolean);
  const resolver = new RootResolver(root);
  let current = '/';
  for (const part of parts) {
    const next = `/${(await resolver.resolve(posix.join(current, part), { followFinal: true })).rel}`;
    const host = join(root, next);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      await mkdir(host, { mode: 0o755 });
      await chmod(host, 0o755);
      await lchown(host, owner?.uid ?? 0, owner?.gid ?? 0);
    } else if (!st.isDirectory()) {
      throw new Error(`cannot create directory ${next}: a non-directory exists there`);
    }
    changes.add(next);
    current = next;
  }
  return current;
}

/** Copies one source entry (file, directory contents, or symlink) to a resolved destination path. */
export async function copyEntry(
  srcRoot: string,
  srcRel: string,
  destRoot: string,
  destRel: string,
  attrs: CopyAttributes,
  changes: ChangeSet,
  inodes: Map<string, Promise<string>> = new Map(),
): Promise<void> {
  const src = join(srcRoot, srcRel);
  // one cheap metadata call each: synchronous (thousands of small awaits leave the loop idle)
  const st = lstatSync(src);
  const dest = join(destRoot, destRel);
  if (st.isDirectory()) {
    const existing = await lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(dest, { force: true });
    if (!existing?.isDirectory()) await mkdir(dest);
    changes.add(destRel);
    await copyChildren(srcRoot, srcRel, destRoot, destRel, attrs, changes, inodes);
    await finish(dest, st, attrs, true);
    return;
  }
  const existing = lstatSync(dest, { throwIfNoEntry: false });
  if (existing) await rm(dest, { recursive: existing.isDirectory(), force: true });
  changes.add(destRel);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    await lchown(dest, ...ids(st, attrs));
    await lutimes(dest, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return; // devices, fifos and sockets are not copied from a context
  const key = `${st.dev}:${st.ino}`;
  const first = st.nlink > 1 ? inodes.get(key) : undefined;
  if (first) {
    await link(await first, dest);
    return;
  }
  const copied =
    st.size <= SMALL_FILE
      ? copySmall(src, dest, st, attrs)
      : (async () => {
          await copyFile(src, dest);
          await finish(dest, st, attrs, false);
          return dest;
        })();
  // registered before the copy finishes, so a concurrent sibling hardlink waits for it
  if (st.nlink > 1) inodes.set(key, copied);
  await copied;
}

/**
 * Copies the entries *inside* a source directory into an existing destination directory. The
 * destination keeps its own owner and mode: a directory source contributes its contents only, as
 * BuildKit and Buildah do (`COPY dir /dest` never re-modes /dest).
 */
export async function copyChildren(
  srcRoot: string,
  srcRel: string,
  destRoot: string,
  destRel: string,
  attrs: CopyAttributes,
  changes: ChangeSet,
  inodes: Map<string, Promise<string>> = new Map(),
): Promise<void> {
  const names = (await readdir(join(srcRoot, srcRel)))
    .sort()
    .filter((name) => !attrs.skip?.(srcRel ? `${srcRel}/${name}` : name));
  // Entries are independent: copy several at once (each file is several awaited system calls).
  await mapLimit(names, COPY_CONCURRENCY, (name) =>
    copyEntry(
      srcRoot,
      srcRel ? `${srcRel}/${name}` : name,
      destRoot,
      posix.join(destRel, name),
      attrs,
      changes,
      inodes,
    ),
  );
}

const COPY_CONCURRENCY = 16;

function ids(st: Stats, attrs: CopyAttributes): [number, number] {
  if (attrs.owner) return [attrs.owner.uid, attrs.owner.gid];
  return attrs.keepOwner ? [st.uid, st.gid] : [0, 0];
}

/** Files up to this size are copied with synchronous calls (as extraction writes them). */
const SMALL_FILE = 1024 * 1024;

/** `copyFile` + `finish` for a small file, without a round trip to the thread pool per call. */
async function copySmall(src: string, dest: string, st: Stats, attrs: CopyAttributes): Promise<string> {
  copyFileSync(src, dest);
  lchownSync(dest, ...ids(st, attrs));
  chmodSync(dest, fileMode(st, attrs, false));
  lutimesSync(dest, st.atime, st.mtime);
  return dest;
}

function fileMode(st: Stats, attrs: CopyAttributes, isDir: boolean): number {
  let mode = st.mode & 0o7777;
  if (!isDir && attrs.fileMode !== undefined) mode = attrs.fileMode;
  if (attrs.chmod) mode = applyChmod(attrs.chmod, st.mode, isDir) & 0o7777;
  return mode;
}

async function finish(dest: string, st: Stats, attrs: CopyAttributes, isDir: boolean): Promise<void> {
  await lchown(dest, ...ids(st, attrs));
  await chmod(dest, fileMode(st, attrs, isDir));
  await lutimes(dest, st.atime, st.mtime);
}

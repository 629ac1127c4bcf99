import { chmodSync, chownSync, lstatSync, type Stats } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rename, rm, rmdir, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { BuilderError } from '../builder-error.js';
import type { RunMount } from './executor.js';

/** Undoes one emulated mount; run in reverse order of installation. */
type Undo = () => Promise<void>;

const lstatOrNull = (abs: string): Stats | null => {
  try {
    return lstatSync(abs);
  } catch {
    return null;
  }
};

/** Moves a path, copying across file systems (a cache dir on a volume, the root on another). */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Creates the missing parent directories of `abs` (0755, root) and returns how to remove them again,
 * restoring the times of the first existing ancestor (so the RUN's layer does not record it).
 */
async function ensureParents(abs: string): Promise<Undo> {
  const missing: string[] = [];
  let dir = dirname(abs);
  while (dir !== '/' && lstatOrNull(dir) === null) {
    missing.unshift(dir);
    dir = dirname(dir);
  }
  const anchor = dir;
  const times = lstatOrNull(anchor);
  for (const d of missing) await mkdir(d, { mode: 0o755 });
  return async () => {
    for (const d of [...missing].reverse()) await rmdir(d).catch(() => undefined);
    if (times && missing.length > 0) await utimes(anchor, times.atime, times.mtime).catch(() => undefined);
  };
}

/**
 * Emulates `RUN --mount` without a mount syscall, for the in-place executor: whatever is at the
 * target is moved aside into `scratch`, the mount's content is put there (secret: a copy of the file
 * with its mode and owner; cache: the cache directory itself moved in; bind: a copy; tmpfs: an empty
 * 1777 directory), and the returned function puts everything back (the cache moved out again, the
 * rest removed) before the snapshot, so none of it reaches a layer.
 */
export async function emulateMounts(mounts: readonly RunMount[], scratch: string): Promise<Undo> {
  const undo: Undo[] = [];
  const teardown: Undo = async () => {
    let first: unknown;
    for (const u of undo.reverse()) await u().catch((e: unknown) => (first ??= e));
    if (first) throw first;
  };
  const sorted = [...mounts].sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  try {
    for (const m of sorted) {
      const target = posix.resolve('/', m.target);
      if (target === '/')
        throw new BuilderError('EXECUTOR_FAILED', `emulating a ${m.type} mount at /: not possible in place`);
      undo.push(await ensureParents(target));
      const parentTimes = lstatOrNull(dirname(target));
      if (lstatOrNull(target)) {
        const aside = join(await mkdtemp(join(scratch, 'aside-')), 'x');
        await rename(target, aside);
        undo.push(async () => {
          await rename(aside, target);
          if (parentTimes) await utimes(dirname(target), parentTimes.atime, parentTimes.mtime);
        });
      } else if (parentTimes) {
        undo.push(() => utimes(dirname(target), parentTimes.atime, parentTimes.mtime));
      }
      switch (m.type) {
        case 'tmpfs':
          await mkdir(target);
          chmodSync(target, 0o1777);
          undo.push(() => rm(target, { recursive: true, force: true }));
          break;
        case 'secret': {
          const st = lstatSync(m.source);
          await copyFile(m.source, target);
          chownSync(target, st.uid, st.gid);
          chmodSync(target, st.mode & 0o7777);
          undo.push(() => rm(target, { force: true }));
          break;
        }
        case 'cache':
          await move(m.source, target);
          undo.push(() => move(target, m.source));
          break;
        case 'bind':
          await cp(m.source, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
          undo.push(() => rm(target, { recursive: true, force: true }));
          break;
      }
    }
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error instanceof BuilderError
      ? error
      : new BuilderError('EXECUTOR_FAILED', `emulating RUN mounts: ${(error as Error).message}`, {
          cause: error,
        });
  }
  return teardown;
}

import type { Stats } from 'node:fs';
import {
  chmod,
  lchown,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import { runTool } from '../rootfs/special-files.js';
import { readXattr, readXattrs, removeXattr, writeXattrs } from '../rootfs/xattrs.js';
import { ignoreMatcher } from './ignore-list.js';
import { type LayerItem, type LayerWriteOptions, type SnapshotStats, writeLayer } from './layer-writer.js';
import type { Snapshotter } from './snapshotter.js';

export interface OverlayOptions {
  /**
   * Scratch directory for the overlay's upper, work and merged directories. It must be on the
   * same file system as the root (the upper directory is merged into the root by rename). Each
   * instance works in its own temporary subdirectory, removed by dispose(), so snapshotters of
   * concurrent stages can share one stateDir.
   */
  stateDir: string;
  /** Paths never snapshotted and never merged back (default: DEFAULT_IGNORED_PATHS). */
  ignore?: (rel: string) => boolean;
}

const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Keep the upper directory a plain change set: no redirects, no metadata-only copy-ups, no index. */
const MOUNT_OPTIONS = 'redirect_dir=off,metacopy=off,index=off';

const isWhiteoutDevice = (st: { isCharacterDevice(): boolean; rdev: number }): boolean =>
  st.isCharacterDevice() && st.rdev === 0;

async function lstatOrNull(abs: string) {
  return lstat(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
}

export async function mountOverlay(
  lower: string,
  upper: string,
  work: string,
  merged: string,
): Promise<void> {
  for (const dir of [lower, upper, work]) {
    if (/[,:\\]/.test(dir)) {
      throw new BuilderError('OVERLAY_UNAVAILABLE', `mounting overlay: path ${dir} contains , : or \\`);
    }
  }
  await runTool(
    'mount',
    [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${upper},workdir=${work},${MOUNT_OPTIONS}`,
      merged,
    ],
    'mounting overlay',
  );
}

export async function unmount(path: string): Promise<void> {
  await runTool('umount', [path], `unmounting ${path}`).catch(async (error: unknown) => {
    // a process left in the mount (should not happen: the executor kills its tree) — detach it
    await runTool('umount', ['-l', path], `unmounting ${path}`).catch(() => {
      throw error;
    });
  });
}

/**
 * Snapshotter for hosts that can mount overlayfs (root here; see detectSnapshotter). The RUN
 * happens on an overlay whose lower directory is the root and whose upper directory is fresh, so
 * the upper directory *is* the change set: the layer is written from it alone (whiteout devices
 * become `.wh.` entries, opaque directories `.wh..wh..opq`), and its cost grows with what changed,
 * not with the size of the root. Afterwards the upper directory is merged into the root by renames
 * (again proportional to the change), so the root stays one plain directory that COPY, the next
 * RUN and the next stage can use without stacking lower directories.
 */
export class OverlaySnapshotter implements Snapshotter {
  readonly kind = 'overlay' as const;
  private readonly ignore: (rel: string) => boolean;
  private root: string | undefined;
  private mounted = false;
  private readonly opts: OverlayOptions;

  constructor(opts: OverlayOptions) {
    this.opts = opts;
    this.ignore = opts.ignore ?? ignoreMatcher();
  }

  /** This instance's own directory under stateDir (several snapshotters may share a stateDir). */
  private own: string | undefined;

  private dir(name: 'upper' | 'work' | 'merged'): string {
    return `${this.own}/${name}`;
  }

  async prepare(root: string): Promise<{ runRoot: string }> {
    if (this.mounted)
      throw new BuilderError('SNAPSHOT_FAILED', 'preparing overlay: a change is already in progress');
    await mkdir(this.opts.stateDir, { recursive: true });
    this.own ??= await mkdtemp(`${this.opts.stateDir.replace(/\/+$/, '')}/overlay-`);
    const [rootDev, stateDev] = await Promise.all([stat(root), stat(this.opts.stateDir)]);
    if (rootDev.dev !== stateDev.dev) {
      throw new BuilderError(
        'OVERLAY_UNAVAILABLE',
        `preparing overlay: state dir ${this.opts.stateDir} is not on the file system of ${root}`,
      );
    }
    for (const name of ['upper', 'work', 'merged'] as const) {
      await rm(this.dir(name), { recursive: true, force: true });
      await mkdir(this.dir(name), { mode: 0o700 });
    }
    // The merged root takes its owner and mode from the upper directory: give it the root's, or
    // non-root RUN users could not even traverse `/`.
    await lchown(this.dir('upper'), rootDev.uid, rootDev.gid);
    await chmod(this.dir('upper'), rootDev.mode & 0o7777);
    await mountOverlay(root, this.dir('upper'), this.dir('work'), this.dir('merged'));
    this.root = root;
    this.mounted = true;
    return { runRoot: this.dir('merged') };
  }

  /** Lists the change set held by the upper directory (unmounted). */
  private async changes(rel: string, items: LayerItem[], root: string): Promise<void> {
    const upperAbs = rel === '' ? this.dir('upper') : `${this.dir('upper')}/${rel}`;
    for (const name of await readdir(upperAbs)) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (this.ignore(child)) continue;
      const abs = `${upperAbs}/${name}`;
      const st = await lstat(abs);
      if (isWhiteoutDevice(st)) {
        items.push({ kind: 'whiteout', rel: child });
        continue;
      }
      if (!st.isDirectory()) {
        items.push({ kind: 'entry', rel: child, abs });
        continue;
      }
      const opaque = (await readXattr(abs, OPAQUE_XATTR))?.toString() === 'y';
      const below: LayerItem[] = [];
      await this.changes(child, below, root);
      // a directory only copied up (e.g. around a mount point that was created and removed
      // again) with nothing below it and its lower metadata unchanged is not a change
      if (!opaque && below.length === 0 && (await sameAsLower(abs, st, `${root}/${child}`))) continue;
      items.push({ kind: 'entry', rel: child, abs });
      if (opaque) items.push({ kind: 'opaque', rel: child });
      items.push(...below);
    }
  }

  async snapshot(sink: Writable, opts: LayerWriteOptions = {}): Promise<SnapshotStats> {
    const root = this.root;
    if (!this.mounted || root === undefined) {
      throw new BuilderError('SNAPSHOT_FAILED', 'taking a snapshot: prepare() was not called');
    }
    await unmount(this.dir('merged'));
    this.mounted = false;
    const items: LayerItem[] = [];
    await this.changes('', items, root);
    const stats = await writeLayer(items, sink, opts);
    await this.merge('', root);
    await rm(this.dir('upper'), { recursive: true, force: true });
    await rm(this.dir('work'), { recursive: true, force: true });
    return stats;
  }

  /** Applies the upper directory onto the root: renames, whiteout removals, directory metadata. */
  private async merge(rel: string, root: string): Promise<void> {
    const upperDir = rel === '' ? this.dir('upper') : `${this.dir('upper')}/${rel}`;
    for (const name of (await readdir(upperDir)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (this.ignore(child)) continue;
      const u = `${upperDir}/${name}`;
      const r = `${root}/${child}`;
      const st = await lstat(u);
      const existing = await lstatOrNull(r);
      if (isWhiteoutDevice(st)) {
        await rm(r, { recursive: true, force: true });
        continue;
      }
      if (st.isDirectory()) {
        const opaque = (await readXattr(u, OPAQUE_XATTR))?.toString() === 'y';
        if (existing?.isDirectory() && !opaque) {
          await this.merge(child, root);
          await copyDirMetadata(u, r);
          continue;
        }
        if (existing) await rm(r, { recursive: true, force: true });
        await rename(u, r);
        if (opaque) await removeXattr(r, OPAQUE_XATTR).catch(() => undefined);
        continue;
      }
      if (existing?.isDirectory()) await rm(r, { recursive: true, force: true });
      else if (existing) await unlink(r);
      await rename(u, r);
    }
  }

  async dispose(): Promise<void> {
    if (this.mounted) {
      await unmount(this.dir('merged'));
      this.mounted = false;
    }
    if (this.own !== undefined) await rm(this.own, { recursive: true, force: true });
    this.own = undefined;
  }
}

async function sameAsLower(upperAbs: string, upper: Stats, lowerAbs: string): Promise<boolean> {
  const lower = await lstatOrNull(lowerAbs);
  if (!lower?.isDirectory()) return false;
  if (lower.mode !== upper.mode || lower.uid !== upper.uid || lower.gid !== upper.gid) return false;
  if (lower.mtimeMs !== upper.mtimeMs) return false;
  const [a, b] = await Promise.all([readXattrs(upperAbs), readXattrs(lowerAbs)]);
  return a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v) === true);
}

async function copyDirMetadata(from: string, to: string): Promise<void> {
  const st = await lstat(from);
  await lchown(to, st.uid, st.gid);
  await chmod(to, st.mode & 0o7777);
  const want = await readXattrs(from);
  for (const name of (await readXattrs(to)).keys()) {
    if (!want.has(name)) await removeXattr(to, name).catch(() => undefined);
  }
  await writeXattrs(to, want);
  await lutimes(to, st.atime, st.mtime);
}

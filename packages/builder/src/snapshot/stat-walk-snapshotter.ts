import { createHash } from 'node:crypto';
import { type BigIntStats, createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BuilderError } from '../builder-error.js';
import { ignoreMatcher } from './ignore-list.js';
import {
  type LayerItem,
  type LayerWriteOptions,
  type SnapshotStats,
  withAncestors,
  writeLayer,
} from './layer-writer.js';
import type { Snapshotter } from './snapshotter.js';

/** What a stat walk remembers of one path. */
interface PathRecord {
  mode: number;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  uid: number;
  gid: number;
  link: string | undefined;
  /** Content hash, only for files changed so close to the walk that a later write could keep their ctime. */
  hash: string | undefined;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** Files whose ctime is this close to (or after) the walk are hashed: timestamps are coarse on some kernels. */
const RACY_WINDOW_NS = 50_000_000n;

/**
 * How a changed path is recognised (kaniko's `--snapshot-mode`):
 * - `full`: mode, size, mtime and ctime (ns), inode, owner, link target, and the content of files
 *   whose timestamps are too recent to trust. A content change is never missed, even when the
 *   writer restored the mtime (ctime cannot be set back), without hashing every file on each walk.
 * - `redo`: mode, size, mtime, inode and owner only (kaniko: mtime, size, mode, uid, gid); cheaper
 *   per file, misses a same-size rewrite whose mtime was put back.
 * - `time`: mtime only; also misses chmod/chown-only changes.
 * New and deleted paths are found in every mode.
 */
export type SnapshotMode = 'full' | 'redo' | 'time';

export interface StatWalkOptions {
  /** Paths never snapshotted (default: DEFAULT_IGNORED_PATHS). */
  ignore?: (rel: string) => boolean;
  /** Default `full`. */
  mode?: SnapshotMode;
}

function hashFile(abs: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(abs)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Directories are compared without ctime and size: those change whenever an entry is added or
 * removed, which the entries themselves already show (and a mount point created and removed again
 * by the executor must not make its parent a change). A directory's own change — mode, owner,
 * mtime, replacement (inode) — still counts; an xattr-only change of a directory is not seen.
 */
function sameMetadata(a: PathRecord, b: PathRecord, mode: SnapshotMode = 'full'): boolean {
  const dir = (a.mode & S_IFMT) === S_IFDIR;
  if (mode === 'time') return a.mtimeNs === b.mtimeNs && (a.mode & S_IFMT) === (b.mode & S_IFMT);
  if (mode === 'redo')
    return (
      a.mode === b.mode &&
      (dir || a.size === b.size) &&
      a.mtimeNs === b.mtimeNs &&
      a.ino === b.ino &&
      a.uid === b.uid &&
      a.gid === b.gid
    );
  return (
    a.mode === b.mode &&
    (dir || a.size === b.size) &&
    a.mtimeNs === b.mtimeNs &&
    (dir || a.ctimeNs === b.ctimeNs) &&
    a.ino === b.ino &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.link === b.link
  );
}

/** Walks `root` (synchronous calls, yielding to the event loop every few thousand paths). */
async function walk(
  root: string,
  ignore: (rel: string) => boolean,
  hashRacy = true,
): Promise<Map<string, PathRecord>> {
  const racyFrom = BigInt(Date.now()) * 1_000_000n - RACY_WINDOW_NS;
  const out = new Map<string, PathRecord>();
  const stack: string[] = [''];
  let n = 0;
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(dir === '' ? root : `${root}/${dir}`);
    } catch {
      continue; // vanished or not a directory any more
    }
    for (const name of names) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (ignore(rel)) continue;
      const abs = `${root}/${rel}`;
      let st: BigIntStats;
      try {
        st = lstatSync(abs, { bigint: true });
      } catch {
        continue;
      }
      const mode = Number(st.mode);
      out.set(rel, {
        mode,
        size: st.size,
        mtimeNs: st.mtimeNs,
        ctimeNs: st.ctimeNs,
        ino: st.ino,
        uid: Number(st.uid),
        gid: Number(st.gid),
        link: (mode & S_IFMT) === S_IFLNK ? readlinkSync(abs) : undefined,
        hash: undefined,
      });
      if ((mode & S_IFMT) === S_IFDIR) stack.push(rel);
      if (++n % 4096 === 0) await yieldToLoop();
    }
  }
  if (!hashRacy) return out;
  for (const [rel, rec] of out) {
    if ((rec.mode & S_IFMT) === S_IFREG && rec.ctimeNs >= racyFrom)
      rec.hash = await hashFile(`${root}/${rel}`);
  }
  return out;
}

/**
 * Snapshotter that works anywhere: a full stat walk before and after the change, comparing mode,
 * size, mtime and ctime (ns), inode, uid/gid and link target; content is hashed only for files
 * whose timestamps are too recent to be trusted (racy-git style). Cost grows with the size of the
 * root, which is why the overlay snapshotter is preferred where it can mount.
 */
export class StatWalkSnapshotter implements Snapshotter {
  readonly kind = 'stat-walk' as const;
  private readonly ignore: (rel: string) => boolean;
  readonly mode: SnapshotMode;
  private root: string | undefined;
  private baseline: Map<string, PathRecord> | undefined;

  constructor(opts: StatWalkOptions = {}) {
    this.ignore = opts.ignore ?? ignoreMatcher();
    this.mode = opts.mode ?? 'full';
  }

  async prepare(root: string): Promise<{ runRoot: string }> {
    this.root = root;
    this.baseline = await walk(root, this.ignore, this.mode === 'full');
    return { runRoot: root };
  }

  async snapshot(sink: Writable, opts: LayerWriteOptions = {}): Promise<SnapshotStats> {
    const root = this.root;
    const baseline = this.baseline;
    if (root === undefined || baseline === undefined) {
      throw new BuilderError('SNAPSHOT_FAILED', 'taking a snapshot: prepare() was not called');
    }
    const current = await walk(root, this.ignore, this.mode === 'full');
    const items: LayerItem[] = [];
    for (const [rel, cur] of current) {
      const base = baseline.get(rel);
      if (base === undefined || !sameMetadata(base, cur, this.mode)) {
        items.push({ kind: 'entry', rel, abs: `${root}/${rel}` });
      } else if (base.hash !== undefined && (await hashFile(`${root}/${rel}`)) !== base.hash) {
        items.push({ kind: 'entry', rel, abs: `${root}/${rel}` });
      }
    }
    for (const rel of baseline.keys()) {
      if (current.has(rel)) continue;
      const slash = rel.lastIndexOf('/');
      if (slash !== -1) {
        // only the topmost deleted path: skip when the parent is gone or is no longer a directory
        const parent = current.get(rel.slice(0, slash));
        if (parent === undefined || (parent.mode & S_IFMT) !== S_IFDIR) continue;
      }
      items.push({ kind: 'whiteout', rel });
    }
    const stats = await writeLayer(
      withAncestors(items, (rel) => `${root}/${rel}`),
      sink,
      opts,
    );
    this.baseline = current;
    return stats;
  }

  async dispose(): Promise<void> {
    this.baseline = undefined;
    this.root = undefined;
  }
}

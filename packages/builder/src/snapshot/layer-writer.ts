import { closeSync, createReadStream, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BuilderError } from '../builder-error.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../rootfs/extract-layer.js';
import type { TarEntryType } from '../rootfs/tar-reader.js';
import { encodeTarHeader, tarPadding, tarTrailer } from '../rootfs/tar-writer.js';
import { readXattrs } from '../rootfs/xattrs.js';

/** One change of a layer: a path to copy from `abs`, a whiteout, or an opaque-directory marker. */
export type LayerItem =
  | { kind: 'entry'; rel: string; abs: string }
  | { kind: 'whiteout'; rel: string }
  | { kind: 'opaque'; rel: string };

export interface LayerWriteOptions {
  /** Normalise every entry's mtime to these seconds since the epoch (reproducible builds). */
  mtimeEpoch?: number;
}

export interface SnapshotStats {
  /** Entries written, whiteouts included. */
  entries: number;
  whiteouts: number;
  /** Bytes of regular-file content written. */
  bytes: number;
}

const FLUSH = 64 * 1024;
/** Files up to this size are read with synchronous calls into the pending chunk (no stream each). */
const SMALL_FILE = 1024 * 1024;

/** Up to `size` bytes of a file from its start (fewer if it shrank). */
function readSmall(abs: string, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(abs, 'r');
  try {
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, size - n, n);
      if (got === 0) break;
      n += got;
    }
    return n === size ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Sort key: byte order, with an opaque marker right after its directory and before its children. */
function sortKey(item: LayerItem): string {
  if (item.kind === 'opaque') return item.rel === '' ? '\0' : `${item.rel}/\0`;
  if (item.kind === 'whiteout') {
    const i = item.rel.lastIndexOf('/');
    return i === -1
      ? `${WHITEOUT_PREFIX}${item.rel}`
      : `${item.rel.slice(0, i)}/${WHITEOUT_PREFIX}${item.rel.slice(i + 1)}`;
  }
  return item.rel;
}

function entryType(st: Stats): TarEntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return null; // sockets are not representable in a tar
}

// glibc's dev_t layout; the high word is taken by division (JS shifts are 32-bit)
const major = (rdev: number): number => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
const minor = (rdev: number): number => ((rdev & 0xff) | (Math.floor(rdev / 4096) & 0xffffff00)) >>> 0;

/**
 * Streams the items as an uncompressed layer tar: sorted, parents before children (callers include
 * ancestors), whiteouts as `.wh.<name>`, opaque directories as `.wh..wh..opq` right after the
 * directory, hardlinks detected by inode within the layer, xattrs as PAX `SCHILY.xattr.*`.
 * File bodies are read as they are written: memory stays flat whatever the file sizes.
 */
export async function* layerTar(
  items: LayerItem[],
  opts: LayerWriteOptions,
  stats: SnapshotStats,
): AsyncGenerator<Buffer> {
  const sorted = items
    .map((item) => ({ item, key: sortKey(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const inodes = new Map<string, string>();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const push = (buf: Buffer): void => {
    pending.push(buf);
    pendingBytes += buf.length;
  };
  const flush = (): Buffer => {
    const out = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    return out;
  };
  for (const { item, key } of sorted) {
    const mtime = opts.mtimeEpoch ?? 0;
    if (item.kind !== 'entry') {
      push(
        encodeTarHeader({
          name: key.replace('\0', OPAQUE_WHITEOUT).replace(/^\//, ''),
          type: 'file',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 0,
          mtime,
        }),
      );
      stats.entries++;
      stats.whiteouts++;
      continue;
    }
    const st = lstatSync(item.abs);
    const type = entryType(st);
    if (type === null) continue;
    const header = {
      name: item.rel,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: type === 'file' ? st.size : 0,
      mtime: opts.mtimeEpoch ?? Math.floor(st.mtimeMs / 1000),
      linkname: type === 'symlink' ? await readlink(item.abs) : '',
      devmajor: major(st.rdev),
      devminor: minor(st.rdev),
      xattrs: await readXattrs(item.abs),
    };
    stats.entries++;
    if (type === 'file' && st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      const first = inodes.get(id);
      if (first !== undefined) {
        push(encodeTarHeader({ ...header, type: 'hardlink', size: 0, linkname: first }));
        continue;
      }
      inodes.set(id, item.rel);
    }
    push(encodeTarHeader(header));
    if (type !== 'file' || header.size === 0) {
      if (pendingBytes >= FLUSH) yield flush();
      continue;
    }
    let written = 0;
    if (header.size <= SMALL_FILE) {
      const body = readSmall(item.abs, header.size);
      written = body.length;
      push(body);
    } else {
      if (pendingBytes) yield flush();
      for await (const chunk of createReadStream(item.abs, {
        end: header.size - 1,
        highWaterMark: 256 * 1024,
      })) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (written !== header.size) {
      throw new BuilderError('SNAPSHOT_FAILED', `writing layer: ${item.rel} changed size while it was read`, {
        entry: item.rel,
      });
    }
    stats.bytes += written;
    push(tarPadding(written));
    if (pendingBytes >= FLUSH) yield flush();
  }
  push(tarTrailer());
  yield flush();
}

/** Writes the layer tar of `items` into `sink` (ending it), honouring backpressure. */
export async function writeLayer(
  items: LayerItem[],
  sink: Writable,
  opts: LayerWriteOptions = {},
): Promise<SnapshotStats> {
  const stats: SnapshotStats = { entries: 0, whiteouts: 0, bytes: 0 };
  await pipeline(Readable.from(layerTar(items, opts, stats), { objectMode: false }), sink);
  return stats;
}

/** Adds every missing ancestor directory of the items (as entries read from `absOf`). */
export function withAncestors(items: LayerItem[], absOf: (rel: string) => string): LayerItem[] {
  const present = new Set(items.filter((i) => i.kind === 'entry').map((i) => i.rel));
  const out = [...items];
  for (const item of items) {
    for (let i = item.rel.lastIndexOf('/'); i > 0; i = item.rel.lastIndexOf('/', i - 1)) {
      const dir = item.rel.slice(0, i);
      if (present.has(dir)) break;
      present.add(dir);
      out.push({ kind: 'entry', rel: dir, abs: absOf(dir) });
    }
  }
  return out;
}

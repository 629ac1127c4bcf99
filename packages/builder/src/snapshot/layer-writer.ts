import { close, closeSync, lstatSync, open, openSync, read, readSync, type Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BuilderError } from '../builder-error.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../rootfs/extract-layer.js';
import type { TarEntryType } from '../rootfs/tar-reader.js';
import { encodeTarHeader, tarPadding, tarTrailer } from '../rootfs/tar-writer.js';
import { readXattrs, xattrBackend } from '../rootfs/xattrs.js';

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

/**
 * A sink that says when the layer is done with the bytes written into it (`streamLayer`'s): the
 * promise resolves once the first `bytes` bytes were hashed and compressed or stored, and rejects if
 * the layer failed. With one, the tar is written through a fixed ring of reused buffers. The
 * consumer must be done with earlier bytes without waiting for later ones: the writer holds at most
 * `RING` chunks (4 MiB) it has not been released from before it waits.
 */
export interface InputRelease {
  whenConsumed(bytes: number): Promise<void>;
}

function inputRelease(sink: Writable): InputRelease | undefined {
  return typeof (sink as Partial<InputRelease>).whenConsumed === 'function'
    ? (sink as unknown as InputRelease)
    : undefined;
}

/** Bytes per tar chunk handed on; files up to SMALL_FILE are read with synchronous calls. */
const CHUNK = 256 * 1024;
const SMALL_FILE = 1024 * 1024;
/** Ring buffers: more than the stream stages between writer and compressor hold at once. */
const RING = 16;

const readAsync = (fd: number, buf: Buffer, off: number, len: number, pos: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))),
  );

/**
 * Where the tar's bytes are assembled: `CHUNK`-byte buffers, handed on as views (`take`). With an
 * `InputRelease`, a ring of `RING` buffers is reused, a buffer being written again only once the
 * consumer is done with every view taken from it; without one, every buffer is fresh (the consumer
 * may keep what it gets). Either way no buffer per file or per read.
 */
class TarChunks {
  readonly #release: InputRelease | undefined;
  readonly #bufs: Buffer[] = [];
  /** Per ring buffer: the stream offset just after the last view taken from it. */
  readonly #ends: number[] = [];
  #i = 0;
  #buf: Buffer | undefined;
  #start = 0;
  #fill = 0;
  #taken = 0;

  constructor(release: InputRelease | undefined) {
    this.#release = release;
  }

  get full(): boolean {
    return this.#fill === CHUNK;
  }

  /** The buffer being filled (space from `fill`); after a full one is taken, the next one. */
  async room(): Promise<Buffer> {
    if (this.#buf && this.#fill < CHUNK) return this.#buf;
    this.#start = 0;
    this.#fill = 0;
    if (!this.#release) {
      this.#buf = Buffer.allocUnsafeSlow(CHUNK);
      return this.#buf;
    }
    this.#i = this.#buf ? (this.#i + 1) % RING : 0;
    const reused = this.#bufs[this.#i];
    if (reused) await this.#release.whenConsumed(this.#ends[this.#i] as number);
    this.#buf = reused ?? Buffer.allocUnsafeSlow(CHUNK);
    this.#bufs[this.#i] = this.#buf;
    return this.#buf;
  }

  /** The bytes written since the last take, as a view (undefined when none). */
  take(): Buffer | undefined {
    if (!this.#buf || this.#fill === this.#start) return undefined;
    const view = this.#buf.subarray(this.#start, this.#fill);
    this.#taken += view.byteLength;
    this.#ends[this.#i] = this.#taken;
    this.#start = this.#fill;
    return view;
  }

  /** Copies `bytes` in, yielding every chunk that fills up. */
  async *put(bytes: Uint8Array): AsyncGenerator<Buffer> {
    for (let off = 0; off < bytes.byteLength; ) {
      const buf = await this.room();
      const n = Math.min(CHUNK - this.#fill, bytes.byteLength - off);
      buf.set(bytes.subarray(off, off + n), this.#fill);
      this.#fill += n;
      off += n;
      if (this.full) yield this.take() as Buffer;
    }
  }

  /** Reads up to `size` bytes of a file from its start, yielding every chunk that fills up; counts them in `got.n`. */
  async *file(abs: string, size: number, got: { n: number }): AsyncGenerator<Buffer> {
    const small = size <= SMALL_FILE;
    const fd = small
      ? openSync(abs, 'r')
      : await new Promise<number>((res, rej) => open(abs, 'r', (e, fd) => (e ? rej(e) : res(fd))));
    try {
      while (got.n < size) {
        const buf = await this.room();
        const len = Math.min(CHUNK - this.#fill, size - got.n);
        const n = small
          ? readSync(fd, buf, this.#fill, len, got.n)
          : await readAsync(fd, buf, this.#fill, len, got.n);
        if (n === 0) break;
        this.#fill += n;
        got.n += n;
        if (this.full) yield this.take() as Buffer;
      }
    } finally {
      if (small) closeSync(fd);
      else await new Promise<void>((res) => close(fd, () => res()));
    }
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
  release?: InputRelease,
): AsyncGenerator<Buffer> {
  const sorted = items
    .map((item) => ({ item, key: sortKey(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const inodes = new Map<string, string>();
  const out = new TarChunks(release);
  // chosen once per layer, not once per entry
  const xattrs = await xattrBackend();
  for (const { item, key } of sorted) {
    const mtime = opts.mtimeEpoch ?? 0;
    if (item.kind !== 'entry') {
      yield* out.put(
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
      xattrs: await readXattrs(item.abs, xattrs),
    };
    stats.entries++;
    if (type === 'file' && st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      const first = inodes.get(id);
      if (first !== undefined) {
        yield* out.put(encodeTarHeader({ ...header, type: 'hardlink', size: 0, linkname: first }));
        continue;
      }
      inodes.set(id, item.rel);
    }
    yield* out.put(encodeTarHeader(header));
    if (type !== 'file' || header.size === 0) continue;
    const read = { n: 0 };
    yield* out.file(item.abs, header.size, read);
    if (read.n !== header.size) {
      throw new BuilderError('SNAPSHOT_FAILED', `writing layer: ${item.rel} changed size while it was read`, {
        entry: item.rel,
      });
    }
    stats.bytes += read.n;
    yield* out.put(tarPadding(read.n));
  }
  yield* out.put(tarTrailer());
  const last = out.take();
  if (last) yield last;
}

/** Writes the layer tar of `items` into `sink` (ending it), honouring backpressure. */
export async function writeLayer(
  items: LayerItem[],
  sink: Writable,
  opts: LayerWriteOptions = {},
): Promise<SnapshotStats> {
  const stats: SnapshotStats = { entries: 0, whiteouts: 0, bytes: 0 };
  await pipeline(
    Readable.from(layerTar(items, opts, stats, inputRelease(sink)), { objectMode: false }),
    sink,
  );
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

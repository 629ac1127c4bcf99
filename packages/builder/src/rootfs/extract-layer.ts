import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { lstat, open, readdir, rm, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import { cleanRelative, lstatOrNull, RootResolver } from './root-resolver.js';
import { makeSpecial } from './special-files.js';
import { readTar, type TarEntry, type TarHeader } from './tar-reader.js';
import { writeXattrs } from './xattrs.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** Files up to this size are buffered and written in one call; larger ones are streamed. */
const SMALL_FILE = 1024 * 1024;
/**
 * Bytes written between two turns of the event loop. Small files are written synchronously, so a
 * layer whose bytes are already buffered would otherwise never give the decompressor (on the thread
 * pool, driven from the event loop) the turn it needs to inflate the next chunk meanwhile.
 */
const YIELD_EVERY = 256 * 1024;

export interface ExtractOptions {
  /** Apply the uid/gid of entries (lchown). Default true; needs root (or CAP_CHOWN). */
  chown?: boolean;
  /** Apply `SCHILY.xattr.*` records. Default true. */
  xattrs?: boolean;
  /** Refuse any regular file whose header claims more bytes than this. */
  maxEntrySize?: number;
  /** Refuse the layer once its regular files add up to more bytes than this. */
  maxTotalSize?: number;
  /** Treat `.wh.` names as whiteouts (default true; false for archives that are not image layers). */
  whiteouts?: boolean;
  /** Paths (clean, relative to the root) that entries and whiteouts must leave alone, e.g. `proc`. */
  ignore?: (rel: string) => boolean;
}

export interface ExtractStats {
  entries: number;
  bytes: number;
  whiteouts: number;
  skipped: number;
}

const dirname = (rel: string): string => {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
};
const basename = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);
const joinRel = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** Writes all of `data` to `fd` (a write may take fewer bytes than asked). */
function writeAllSync(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/**
 * State of one extraction: which paths this layer wrote (whiteouts only hide lower layers).
 * Metadata calls are synchronous: each is a few microseconds, where a thread-pool round trip per
 * call made extraction of small-file layers several times slower. Large file bodies stay asynchronous.
 */
class LayerApplier {
  readonly resolver: RootResolver;
  private readonly written = new Set<string>();
  private readonly writtenAncestors = new Set<string>();
  private readonly dirTimes: Array<{ abs: string; depth: number; mtime: number }> = [];
  readonly stats: ExtractStats = { entries: 0, bytes: 0, whiteouts: 0, skipped: 0 };

  private readonly opts: ExtractOptions;
  /**
   * The root was empty when this layer began (a base image's first layer): whatever this layer has
   * not written does not exist, so its lstat is skipped.
   */
  private readonly fresh: boolean;
  /**
   * In a fresh root that no setgid directory has reached yet, a file we create already has our
   * uid/gid: its chown is skipped when the entry asks for exactly those. Undefined: always chown.
   */
  private owner: { uid: number; gid: number } | undefined;
  private readonly knownMissing = (rel: string): boolean => this.fresh && !this.written.has(rel);

  constructor(root: string, opts: ExtractOptions) {
    this.opts = opts;
    this.resolver = new RootResolver(root);
    const rootStat = lstatOrNull(root);
    this.fresh = rootStat?.isDirectory() === true && readdirSync(root).length === 0;
    this.owner =
      this.fresh && rootStat !== null && (rootStat.mode & 0o2000) === 0 && process.geteuid && process.getegid
        ? { uid: process.geteuid(), gid: process.getegid() }
        : undefined;
  }

  private markWritten(rel: string): void {
    this.written.add(rel);
    for (let d = dirname(rel); d !== ''; d = dirname(d)) {
      if (this.writtenAncestors.has(d)) break;
      this.writtenAncestors.add(d);
    }
  }

  private async remove(rel: string): Promise<void> {
    await rm(this.resolver.abs(rel), { recursive: true, force: true });
    this.resolver.forget(rel);
  }

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    const clean = cleanRelative(h.name);
    if (clean === null) {
      throw new BuilderError(
        'UNSAFE_LAYER_ENTRY',
        `extracting layer: entry ${h.name} climbs out of the root`,
        {
          entry: h.name,
        },
      );
    }
    this.stats.entries++;
    if (clean === '' || this.opts.ignore?.(clean)) {
      this.stats.skipped++;
      return;
    }
    const base = basename(clean);
    if (base.startsWith(WHITEOUT_PREFIX) && (this.opts.whiteouts ?? true)) {
      await this.whiteout(clean, base);
      return;
    }
    const target = this.resolver.resolveEntry(clean, {
      createParents: { mode: 0o755 },
      knownMissing: this.knownMissing,
    });
    const existing = target.existing;
    const existingDir = existing === 'dir' || existing?.isDirectory() === true;
    if (existing) {
      if (h.type === 'directory' && existingDir) {
        // keep contents; metadata is applied below
      } else if (existingDir) {
        await this.remove(target.rel);
      } else {
        unlinkSync(target.abs);
      }
    }
    const created = !(h.type === 'directory' && existingDir);
    switch (h.type) {
      case 'directory':
        if (created) mkdirSync(target.abs, { mode: 0o700 });
        this.resolver.remember(target.rel);
        break;
      case 'file':
        if (await this.writeFile(entry, target.abs)) {
          this.markWritten(target.rel);
          return;
        }
        break;
      case 'symlink':
        symlinkSync(h.linkname, target.abs);
        break;
      case 'hardlink':
        await this.hardlink(h, target.abs);
        this.markWritten(target.rel);
        return;
      default:
        await makeSpecial(target.abs, h.type, h.devmajor, h.devminor, h.name);
    }
    await this.applyMetadata(h, target.abs, target.rel, created);
    this.markWritten(target.rel);
  }

  private async whiteout(clean: string, base: string): Promise<void> {
    this.stats.whiteouts++;
    const dir = dirname(clean);
    if (this.opts.ignore?.(dir || '.')) return;
    if (base === OPAQUE_WHITEOUT) {
      const resolved = await this.resolver.resolve(dir, { followFinal: true });
      if (!resolved.missingParent) await this.opaque(resolved.rel);
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata (.wh..wh.plnk …)
    const name = base.slice(WHITEOUT_PREFIX.length);
    const victim = joinRel(dir, name);
    if (this.opts.ignore?.(victim)) return;
    const resolved = await this.resolver.resolve(victim);
    if (resolved.missingParent || this.written.has(resolved.rel)) return;
    await this.remove(resolved.rel);
  }

  /** Removes everything under `rel` that lower layers put there, keeping what this layer wrote. */
  private async opaque(rel: string): Promise<void> {
    const abs = this.resolver.abs(rel);
    const st = lstatOrNull(abs);
    if (!st?.isDirectory()) return;
    for (const name of await readdir(abs)) {
      const child = joinRel(rel, name);
      if (this.opts.ignore?.(child)) continue;
      if (this.writtenAncestors.has(child)) {
        await this.opaque(child);
      } else if (!this.written.has(child)) {
        await this.remove(child);
      } else if ((await lstat(this.resolver.abs(child))).isDirectory()) {
        await this.opaque(child);
      }
    }
  }

  /** Writes the body; true when the file's metadata is applied too (small files, through their fd). */
  private async writeFile(entry: TarEntry, abs: string): Promise<boolean> {
    const h = entry.header;
    if (this.opts.maxEntrySize !== undefined && h.size > this.opts.maxEntrySize) {
      throw new BuilderError(
        'LAYER_TOO_LARGE',
        `extracting layer: entry ${h.name} claims ${h.size} bytes, over the limit of ${this.opts.maxEntrySize}`,
        { entry: h.name },
      );
    }
    if (this.opts.maxTotalSize !== undefined && this.stats.bytes + h.size > this.opts.maxTotalSize) {
      throw new BuilderError(
        'LAYER_TOO_LARGE',
        `extracting layer: entry ${h.name} takes the layer over its limit of ${this.opts.maxTotalSize} bytes`,
        { entry: h.name },
      );
    }
    if (h.size <= SMALL_FILE) {
      // small files (most of an image): body in one piece, then synchronous calls on one descriptor
      const data = await entry.readAll();
      const fd = openSync(abs, 'wx', 0o600);
      try {
        writeAllSync(fd, data);
        this.stats.bytes += data.length;
        if (this.needsChown(h, true)) fchownSync(fd, h.uid, h.gid);
        fchmodSync(fd, h.mode); // after chown: chown clears setuid/setgid bits
        // xattrs after chown: chown clears security.capability
        if ((this.opts.xattrs ?? true) && h.xattrs.size > 0) await writeXattrs(abs, h.xattrs);
        futimesSync(fd, h.mtime, h.mtime);
      } finally {
        closeSync(fd);
      }
      return true;
    }
    const fh = await open(abs, 'wx', 0o600);
    try {
      for await (const chunk of entry.body()) {
        await fh.write(chunk);
        this.stats.bytes += chunk.length;
      }
    } catch (error) {
      await fh.close();
      await unlink(abs).catch(() => undefined);
      throw error;
    }
    await fh.close();
    return false;
  }

  private async hardlink(h: TarHeader, abs: string): Promise<void> {
    const cleanTarget = cleanRelative(h.linkname);
    if (cleanTarget === null || cleanTarget === '') {
      throw new BuilderError(
        'UNSAFE_LAYER_ENTRY',
        `extracting layer: hardlink ${h.name} points outside the root (${h.linkname})`,
        { entry: h.name },
      );
    }
    const target = await this.resolver.resolve(cleanTarget);
    const st = target.missingParent ? null : lstatOrNull(target.abs);
    if (!st) {
      throw new BuilderError(
        'INVALID_LAYER',
        `extracting layer: hardlink ${h.name} targets missing ${h.linkname}`,
        {
          entry: h.name,
        },
      );
    }
    if (st.isDirectory()) {
      throw new BuilderError(
        'UNSAFE_LAYER_ENTRY',
        `extracting layer: hardlink ${h.name} targets a directory`,
        {
          entry: h.name,
        },
      );
    }
    linkSync(target.abs, abs);
  }

  /** False only where the entry asks for the owner a file we just created already has. */
  private needsChown(h: TarHeader, created: boolean): boolean {
    if (!(this.opts.chown ?? true)) return false;
    const o = this.owner;
    return !(created && o !== undefined && h.uid === o.uid && h.gid === o.gid);
  }

  private async applyMetadata(h: TarHeader, abs: string, rel: string, created: boolean): Promise<void> {
    if (this.needsChown(h, created)) lchownSync(abs, h.uid, h.gid);
    // chmod after chown: chown clears setuid/setgid bits
    if (h.type !== 'symlink') chmodSync(abs, h.mode);
    // files made inside a setgid directory take its group: from now on, always chown
    if (h.type === 'directory' && (h.mode & 0o2000) !== 0) this.owner = undefined;
    // xattrs after chown: chown clears security.capability
    if ((this.opts.xattrs ?? true) && h.xattrs.size > 0) {
      // most namespaces refuse xattrs on symlinks (EPERM); a layer carrying one should not fail
      await writeXattrs(abs, h.xattrs).catch((e: unknown) => {
        if (h.type !== 'symlink') throw e;
      });
    }
    if (h.type === 'directory') {
      this.dirTimes.push({ abs, depth: rel.split('/').length, mtime: h.mtime });
    } else {
      lutimesSync(abs, h.mtime, h.mtime);
    }
  }

  /** Directory mtimes last, deepest first, so creating children does not disturb them. */
  async finish(): Promise<void> {
    this.dirTimes.sort((a, b) => b.depth - a.depth);
    for (const d of this.dirTimes) {
      try {
        lutimesSync(d.abs, d.mtime, d.mtime);
      } catch {
        // removed by a later whiteout
      }
    }
  }
}

/**
 * Applies one uncompressed layer tar onto `root`, safely: no entry can create, or make the kernel
 * follow, a path outside the root. Entries climbing out with `..` and hardlinks pointing out are
 * refused (UNSAFE_LAYER_ENTRY naming the entry); absolute names and symlinks in parent components
 * are resolved inside the root as after a chroot (contained). Whiteouts and opaque whiteouts are
 * applied to what lower layers left; regular file bodies are streamed (never more than the tar
 * holds), and uid/gid, mode incl. setuid/setgid/sticky, xattrs (incl. `security.capability`) and
 * mtimes are restored, directories' mtimes after their contents.
 */
export async function extractLayer(
  root: string,
  tar: Readable | AsyncIterable<Buffer>,
  opts: ExtractOptions = {},
): Promise<ExtractStats> {
  const applier = new LayerApplier(root, opts);
  let yieldAt = YIELD_EVERY;
  for await (const entry of readTar(tar)) {
    if (applier.stats.bytes >= yieldAt) {
      yieldAt = applier.stats.bytes + YIELD_EVERY;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    try {
      await applier.apply(entry);
    } catch (error) {
      const name = entry.header.name;
      if (error instanceof BuilderError && error.entry === name) throw error;
      const code = error instanceof BuilderError ? error.code : 'EXTRACT_FAILED';
      const detail = error instanceof Error ? error.message : String(error);
      throw new BuilderError(code, `extracting layer entry ${name}: ${detail}`, {
        entry: name,
        cause: error,
      });
    }
  }
  await applier.finish();
  return applier.stats;
}

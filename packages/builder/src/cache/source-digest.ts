import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { matchSources } from '../dispatch/copy-sources.js';
import { RootResolver } from '../rootfs/root-resolver.js';

/** What a COPY/ADD (or a bind mount) reads from a source root, for its cache key. */
export interface SourceDigestRequest {
  /** The context directory (or any root the patterns are relative to). */
  root: string;
  /** Source patterns as written after expansion (`src/*.ts`, `.`, `a/b`). */
  patterns: readonly string[];
  /** `.dockerignore`: false for hidden paths (root-relative). */
  visible?: (rel: string) => boolean;
  /** `--exclude`: true for excluded paths (root-relative). */
  excluded?: (rel: string) => boolean;
}

/** Digest of the sources plus what was read, for logs. */
export interface SourceDigest {
  digest: string;
  files: number;
  bytes: number;
}

/**
 * Walks the sources a COPY would copy, in the order it copies them, and hashes what the copy
 * depends on: each matched name, and below it every entry's relative path, type, permission bits
 * (incl. setuid/setgid/sticky), symlink target, regular file size and content, and which files are
 * hard links of one another. Never mtimes, never the source owner (context files are copied as
 * root or `--chown`, which is part of the instruction). Devices, fifos and sockets are skipped, as
 * COPY skips them. A literal source that does not exist is hashed as missing (the copy will fail).
 */
export async function digestSources(req: SourceDigestRequest): Promise<SourceDigest> {
  const visible = req.visible ?? (() => true);
  const skip = (rel: string) => !visible(rel) || (req.excluded?.(rel) ?? false);
  const h = createHash('sha256');
  const stats = { files: 0, bytes: 0 };
  const resolver = new RootResolver(req.root);
  for (const pattern of req.patterns) {
    h.update(`pattern\0${pattern}\0`);
    let matches: Array<{ rel: string }>;
    try {
      matches = await matchSources(req.root, [pattern], visible);
    } catch {
      h.update('missing\0');
      continue;
    }
    for (const m of matches) {
      h.update(`match\0${m.rel}\0`);
      const resolved = await resolver.resolve(m.rel, { followFinal: true }).catch(() => undefined);
      const st =
        resolved && !resolved.missingParent ? await stat(resolved.abs).catch(() => undefined) : undefined;
      if (!resolved || !st) {
        h.update('missing\0');
        continue;
      }
      const walk = new Walk(req.root, h, skip, stats);
      await walk.entry(resolved.rel, '.', true);
    }
  }
  return { digest: `sha256:${h.digest('hex')}`, ...stats };
}

class Walk {
  private readonly inodes = new Map<string, string>();

  constructor(
    private readonly root: string,
    private readonly h: Hash,
    private readonly skip: (rel: string) => boolean,
    private readonly stats: { files: number; bytes: number },
  ) {}

  /** `rel`: path in the root; `name`: path below the match, as written into the hash. */
  async entry(rel: string, name: string, follow: boolean): Promise<void> {
    const abs = rel === '' ? this.root : join(this.root, rel);
    const st = follow ? await stat(abs) : await lstat(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      this.h.update(`dir\0${name}\0${mode}\0`);
      for (const child of (await readdir(abs)).sort()) {
        const childRel = rel ? `${rel}/${child}` : child;
        if (this.skip(childRel)) continue;
        await this.entry(childRel, name === '.' ? child : `${name}/${child}`, false);
      }
      this.h.update('end\0');
    } else if (st.isSymbolicLink()) {
      this.h.update(`symlink\0${name}\0${await readlink(abs)}\0`);
    } else if (st.isFile()) {
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.inodes.get(inode) : undefined;
      if (first !== undefined) {
        this.h.update(`hardlink\0${name}\0${first}\0`);
        return;
      }
      if (st.nlink > 1) this.inodes.set(inode, name);
      this.h.update(`file\0${name}\0${mode}\0${st.size}\0`);
      const content = createHash('sha256');
      for await (const chunk of createReadStream(abs)) content.update(chunk as Buffer);
      this.h.update(`${content.digest('hex')}\0`);
      this.stats.files++;
      this.stats.bytes += st.size;
    }
  }
}

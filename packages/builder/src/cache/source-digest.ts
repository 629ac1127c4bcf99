import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { matchSources } from '../dispatch/copy-sources.js';
import { mapLimit } from '../internal/map-limit.js';
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
    } catch (e) {
      // only "not found" is part of the key (the copy will fail the same way); any other error
      // must surface, or every content would hash alike and a changed file would hit the cache
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
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
      const records: Array<string | { file: string; abs: string; size: number }> = [];
      await collect(req.root, resolved.rel, '.', true, skip, records, new Map());
      const contents = await mapLimit(records, 16, async (r) =>
        typeof r === 'string' ? '' : contentHash(r.abs, r.size),
      );
      records.forEach((r, i) => {
        if (typeof r === 'string') h.update(r);
        else {
          h.update(`${r.file}${contents[i]}\0`);
          stats.files++;
          stats.bytes += r.size;
        }
      });
    }
  }
  return { digest: `sha256:${h.digest('hex')}`, ...stats };
}

/**
 * Lists, in copy order, what the hash covers: plain records for directories, symlinks and hard
 * links, and regular files whose content is hashed afterwards (in parallel, fed in this order).
 */
async function collect(
  root: string,
  rel: string,
  name: string,
  follow: boolean,
  skip: (rel: string) => boolean,
  out: Array<string | { file: string; abs: string; size: number }>,
  inodes: Map<string, string>,
  known?: Stats,
): Promise<void> {
  const abs = rel === '' ? root : join(root, rel);
  const st = known ?? (follow ? await stat(abs) : await lstat(abs));
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isDirectory()) {
    out.push(`dir\0${name}\0${mode}\0`);
    const children = (await readdir(abs)).sort().filter((c) => !skip(rel ? `${rel}/${c}` : c));
    const stats = await mapLimit(children, 32, (c) => lstat(join(abs, c)));
    for (const [i, child] of children.entries()) {
      const childRel = rel ? `${rel}/${child}` : child;
      const childName = name === '.' ? child : `${name}/${child}`;
      await collect(root, childRel, childName, false, skip, out, inodes, stats[i]);
    }
    out.push('end\0');
  } else if (st.isSymbolicLink()) {
    out.push(`symlink\0${name}\0${await readlink(abs)}\0`);
  } else if (st.isFile()) {
    const inode = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? inodes.get(inode) : undefined;
    if (first !== undefined) {
      out.push(`hardlink\0${name}\0${first}\0`);
      return;
    }
    if (st.nlink > 1) inodes.set(inode, name);
    out.push({ file: `file\0${name}\0${mode}\0${st.size}\0`, abs, size: st.size });
  }
}

async function contentHash(abs: string, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size <= 1 << 20) h.update(await readFile(abs));
  else for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
  return h.digest('hex');
}

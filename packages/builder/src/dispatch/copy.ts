import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod as chmodFile, lstat, mkdtemp, open, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import type { CopyInstruction } from '@kaniko-ts/dockerfile';
import { RootResolver } from '../rootfs/root-resolver.js';
import { matchSources, notFound } from './copy-sources.js';
import { ChangeSet, type CopyAttributes, copyChildren, copyEntry, ensureDirectory } from './copy-tree.js';

/** Where COPY/ADD reads from. */
export interface CopySource {
  root: string;
  /** `context` files are owned by root unless --chown; stage/image files keep their owner. */
  kind: 'context' | 'stage' | 'image';
  /** .dockerignore (context only): true when a root-relative path is visible. */
  visible?: (rel: string) => boolean;
}

export interface CopyRequest {
  instruction: CopyInstruction;
  source: CopySource;
  destRoot: string;
  workdir: string;
  owner?: { uid: number; gid: number };
  /** Heredoc bodies after expansion, by name. */
  heredocBodies?: Map<string, string>;
  /** Scratch directory for downloads and archive extraction. */
  tempDir: string;
  /** Extracts an uncompressed tar stream into a directory, safely (no path leaves it). */
  extractTar: (dir: string, tar: Readable) => Promise<void>;
  /** Downloads an ADD URL. */
  fetch?: typeof fetch;
}

/** Runs COPY/ADD into `destRoot`, returning the root-relative paths it changed (for the layer). */
export async function runCopy(req: CopyRequest): Promise<string[]> {
  const { instruction: ins } = req;
  const changes = new ChangeSet();
  const rawDest = ins.dest;
  const destAbs = rawDest.startsWith('/') ? rawDest : posix.join(req.workdir || '/', rawDest);
  const destSyntaxDir = /(^|\/)\.?$/.test(rawDest) || rawDest.endsWith('/');
  const excluded = ins.exclude.length > 0 ? excludeMatcher(ins.exclude) : undefined;
  const visible = req.source.visible ?? (() => true);
  const skip = (rel: string) => !visible(rel) || (excluded?.(rel) ?? false);

  const items: Array<{
    root: string;
    rel: string;
    kind: CopySource['kind'];
    forced?: Partial<CopyAttributes>;
  }> = [];
  const scratch = await mkdtemp(join(req.tempDir, 'copy-'));
  try {
    for (const src of ins.sources) {
      const heredoc = req.heredocBodies?.get(heredocName(src));
      if (src.startsWith('<<') && heredoc !== undefined) {
        const name = heredocName(src);
        await writeFile(join(scratch, name), heredoc, { mode: 0o644 });
        await chmodFile(join(scratch, name), 0o644);
        items.push({ root: scratch, rel: name, kind: 'context' });
        continue;
      }
      if (ins.kind === 'ADD' && /^https?:\/\//.test(src)) {
        const name = await download(src, scratch, ins.checksum, req.fetch ?? fetch);
        items.push({ root: scratch, rel: name, kind: 'context', forced: { fileMode: 0o600 } });
        continue;
      }
      const matches = await matchSources(req.source.root, [src], visible);
      for (const m of matches) items.push({ root: req.source.root, rel: m.rel, kind: req.source.kind });
    }

    const multiple = items.length > 1 || ins.sources.length > 1;
    for (const item of items) {
      const srcRel = (await new RootResolver(item.root).resolve(item.rel, { followFinal: true })).rel;
      const st = await stat(join(item.root, srcRel)).catch(() => undefined);
      if (!st) throw notFound(item.rel);
      const attrs: CopyAttributes = {
        owner: req.owner,
        keepOwner: item.kind !== 'context',
        chmod: ins.chmod,
        skip: item.root === req.source.root ? skip : undefined,
        ...item.forced,
      };
      // ADD of a local archive: extract it instead of copying it.
      if (ins.kind === 'ADD' && item.kind === 'context' && !item.forced && st.isFile()) {
        const format = await archiveFormat(join(item.root, srcRel));
        if (format) {
          const out = await mkdtemp(join(scratch, 'x-'));
          await req.extractTar(out, decompress(createReadStream(join(item.root, srcRel)), format));
          const target = await ensureDirectory(req.destRoot, destAbs, req.owner, changes);
          await copyChildren(
            out,
            '',
            req.destRoot,
            target,
            { ...attrs, keepOwner: true, skip: undefined },
            changes,
          );
          continue;
        }
      }
      const relPrefix = ins.parents ? posix.dirname(item.rel) : '';
      const destDirExisting = await isDirectory(req.destRoot, destAbs);
      if (st.isDirectory()) {
        const dir = posix.join(destAbs, ins.parents ? item.rel : '');
        const target = await ensureDirectory(req.destRoot, dir, req.owner, changes);
        await copyChildren(item.root, srcRel, req.destRoot, target, attrs, changes);
        continue;
      }
      const intoDir = destSyntaxDir || multiple || destDirExisting || ins.parents;
      const parent = intoDir ? posix.join(destAbs, relPrefix) : posix.dirname(destAbs);
      const dir = await ensureDirectory(req.destRoot, parent, req.owner, changes);
      const name = intoDir ? basename(item.rel) : posix.basename(destAbs);
      await copyEntry(item.root, srcRel, req.destRoot, posix.join(dir, name), attrs, changes);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return changes.sorted();
}

function heredocName(src: string): string {
  return src.replace(/^<<-?/, '').replace(/^["']|["']$/g, '');
}

async function isDirectory(root: string, path: string): Promise<boolean> {
  const resolved = await new RootResolver(root).resolve(path, { followFinal: true });
  const st = await lstat(resolved.abs).catch(() => undefined);
  return st?.isDirectory() ?? false;
}

/** `--exclude` patterns: a path is excluded when it or one of its parents matches. */
function excludeMatcher(patterns: readonly string[]): (rel: string) => boolean {
  const res = patterns.map((p) => globToRegExp(posix.normalize(p).replace(/^\/+/, '')));
  return (rel) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const tail = parts.slice(parts.length - i).join('/');
      if (res.some((re) => re.test(prefix) || re.test(tail))) return true;
    }
    return false;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

type ArchiveFormat = 'tar' | 'gzip' | 'zstd';

async function archiveFormat(path: string): Promise<ArchiveFormat | undefined> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
    if (bytesRead >= 4 && buf.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    if (bytesRead >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    await fh.close();
  }
}

function decompress(stream: Readable, format: ArchiveFormat): Readable {
  if (format === 'tar') return stream;
  const d = format === 'gzip' ? createGunzip() : createZstdDecompress();
  stream.on('error', (e) => d.destroy(e));
  return stream.pipe(d);
}

async function download(url: string, dir: string, checksum: string | undefined, fetchFn: typeof fetch) {
  const res = await fetchFn(url, { redirect: 'follow' });
  if (!res.ok) throw new Error(`downloading ${url}: ${res.status} ${res.statusText}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (checksum) {
    const [algo = '', hex = ''] = checksum.split(':');
    const actual = createHash(algo).update(bytes).digest('hex');
    if (actual !== hex)
      throw new Error(`downloading ${url}: checksum mismatch: expected ${checksum}, got ${algo}:${actual}`);
  }
  const name = basename(new URL(url).pathname) || '__unnamed__';
  await writeFile(join(dir, name), bytes);
  const modified = res.headers.get('last-modified');
  if (modified) {
    const t = new Date(modified);
    if (!Number.isNaN(t.getTime())) await utimes(join(dir, name), t, t);
  }
  return name;
}

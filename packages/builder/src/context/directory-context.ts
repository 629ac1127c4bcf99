import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import { cleanRelative, RootResolver } from '../rootfs/root-resolver.js';
import type { ContextEntry, ContextSource } from './context-source.js';

export interface DirectoryContextOptions {
  /** `.dockerignore` filter: true when a relative path is excluded (e.g. `m.ignores` of createIgnoreMatcher). */
  exclude?: (rel: string) => boolean;
  /** Called by dispose() (tar contexts remove their temporary copy). */
  onDispose?: () => Promise<void>;
}

function typeOf(st: Stats): ContextEntry['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** A build context that is a directory on disk. */
export class DirectoryContext implements ContextSource {
  readonly root: string;
  private readonly exclude: (rel: string) => boolean;
  private readonly onDispose: (() => Promise<void>) | undefined;
  private readonly resolver: RootResolver;
  private readonly digests = new Map<string, Promise<string>>();

  constructor(root: string, opts: DirectoryContextOptions = {}) {
    this.root = root.replace(/\/+$/, '') || '/';
    this.exclude = opts.exclude ?? (() => false);
    this.onDispose = opts.onDispose;
    this.resolver = new RootResolver(this.root);
  }

  private clean(rel: string): string {
    const clean = cleanRelative(rel);
    if (clean === null) {
      throw new BuilderError('UNSAFE_PATH', `reading the build context: ${rel} is outside the context`, {
        entry: rel,
      });
    }
    return clean;
  }

  visible(rel: string): boolean {
    const clean = cleanRelative(rel);
    return clean !== null && (clean === '' || !this.exclude(clean));
  }

  private async entry(rel: string, abs: string): Promise<ContextEntry> {
    const st = await lstat(abs);
    const type = typeOf(st);
    return {
      path: rel,
      type,
      mode: st.mode & 0o7777,
      size: st.size,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtimeMs,
      ...(type === 'symlink' ? { linkTarget: await readlink(abs) } : {}),
    };
  }

  /** Real path of `rel` inside the context (parents resolved; final link followed when asked). */
  private async real(rel: string, follow: boolean): Promise<{ rel: string; abs: string } | undefined> {
    const r = await this.resolver.resolve(this.clean(rel), { followFinal: follow }).catch((e: unknown) => {
      if (e instanceof BuilderError && e.code === 'UNSAFE_PATH') return undefined; // through a file: missing
      throw e;
    });
    if (!r || r.missingParent) return undefined;
    return r;
  }

  async stat(rel: string, opts: { follow?: boolean } = {}): Promise<ContextEntry | undefined> {
    const clean = this.clean(rel);
    if (!this.visible(clean)) return undefined;
    const r = await this.real(clean, opts.follow ?? false);
    if (!r) return undefined;
    const entry = await this.entry(clean, r.abs).catch(() => undefined);
    return entry;
  }

  async list(rel = ''): Promise<ContextEntry[]> {
    const start = this.clean(rel);
    const r = await this.real(start, true);
    if (!r) return [];
    const out: ContextEntry[] = [];
    const visit = async (dir: string, absDir: string): Promise<boolean> => {
      let any = false;
      for (const name of (await readdir(absDir)).sort()) {
        const childRel = dir ? `${dir}/${name}` : name;
        const childAbs = `${absDir}/${name}`;
        const entry = await this.entry(childRel, childAbs);
        const hidden = this.exclude(childRel);
        if (entry.type === 'directory') {
          const at = out.length;
          const below = await visit(childRel, childAbs);
          // an excluded directory is still listed when a `!` pattern re-includes something below it
          if (!hidden || below) {
            out.splice(at, 0, entry);
            any = true;
          }
        } else if (!hidden) {
          out.push(entry);
          any = true;
        }
      }
      return any;
    };
    const top = await lstat(r.abs);
    if (!top.isDirectory()) {
      const e = await this.stat(start, { follow: true });
      return e ? [e] : [];
    }
    await visit(start, r.abs);
    return out;
  }

  private async visibleFile(rel: string): Promise<string> {
    const clean = this.clean(rel);
    const r = this.visible(clean) ? await this.real(clean, true) : undefined;
    const st = r ? await lstat(r.abs).catch(() => null) : null;
    if (!r || !st?.isFile()) {
      throw new BuilderError(
        'CONTEXT_NOT_FOUND',
        `reading ${rel} from the build context: not a visible file`,
        {
          entry: rel,
        },
      );
    }
    return r.abs;
  }

  async open(rel: string): Promise<Readable> {
    return createReadStream(await this.visibleFile(rel));
  }

  async readFile(rel: string): Promise<Buffer> {
    return readFile(await this.visibleFile(rel));
  }

  digest(rel: string): Promise<string> {
    const clean = this.clean(rel);
    let d = this.digests.get(clean);
    if (!d) {
      d = this.computeDigest(clean, true, false);
      this.digests.set(clean, d);
    }
    return d;
  }

  /** `hiddenOk`: an excluded directory listed because a `!` pattern re-includes something below it. */
  private async computeDigest(rel: string, follow: boolean, hiddenOk: boolean): Promise<string> {
    if (!hiddenOk && !this.visible(rel)) {
      throw new BuilderError(
        'CONTEXT_NOT_FOUND',
        `hashing ${rel} in the build context: excluded by .dockerignore`,
        {
          entry: rel,
        },
      );
    }
    const r = await this.real(rel, follow);
    const st = r ? await lstat(r.abs).catch(() => null) : null;
    if (!r || !st) {
      throw new BuilderError(
        'CONTEXT_NOT_FOUND',
        `hashing ${rel} in the build context: no such file or directory`,
        {
          entry: rel,
        },
      );
    }
    const h = createHash('sha256');
    // the context root's own mode is an accident of how it was unpacked: not part of any COPY
    const mode = rel === '' ? '-' : (st.mode & 0o7777).toString(8);
    if (st.isFile()) {
      h.update(`file\0${mode}\0${st.size}\0`);
      for await (const chunk of createReadStream(r.abs)) h.update(chunk as Buffer);
    } else if (st.isSymbolicLink()) {
      h.update(`symlink\0${await readlink(r.abs)}`);
    } else if (st.isDirectory()) {
      h.update(`dir\0${mode}\0`);
      const prefix = rel ? rel.length + 1 : 0;
      for (const entry of await this.list(rel)) {
        const name = entry.path.slice(prefix);
        if (name.includes('/')) continue; // direct children only
        const child = await this.computeDigest(entry.path, false, entry.type === 'directory');
        h.update(`${name}\0${child}\0`);
      }
    } else {
      h.update(`other\0${mode}\0${st.rdev}`);
    }
    return `sha256:${h.digest('hex')}`;
  }

  async dispose(): Promise<void> {
    this.digests.clear();
    await this.onDispose?.();
  }
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LayerTar } from '@kaniko-ts/sbom';
import tarStream from 'tar-stream';

export interface TarFile {
  readonly path: string;
  readonly data?: Buffer | string;
  readonly type?: 'file' | 'directory' | 'symlink';
  readonly linkname?: string;
  readonly mode?: number;
}

/** Packs entries into an in-memory tar (a synthetic layer); returns bytes and diffID. */
export async function packLayer(files: readonly TarFile[]): Promise<{ tar: Buffer; diffId: string }> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    const data = f.data === undefined ? Buffer.alloc(0) : Buffer.from(f.data);
    const header = {
      name: f.path.replace(/^\//, ''),
      type,
      mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644),
      ...(f.linkname ? { linkname: f.linkname } : {}),
      mtime: new Date(0),
    };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, type === 'file' ? data : Buffer.alloc(0), (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return { tar, diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
}

export function memoryLayer(layer: { tar: Buffer; diffId: string }): LayerTar {
  return { diffId: layer.diffId, open: async () => Readable.from([layer.tar]) };
}

export function gzipFileLayer(path: string, diffId: string): LayerTar {
  return { diffId, open: async () => createReadStream(path).pipe(createGunzip()) };
}

/** Files of a host directory as tar entries at the same view paths. */
export async function hostFiles(root: string, paths: readonly string[]): Promise<TarFile[]> {
  return Promise.all(paths.map(async (p) => ({ path: p, data: await readFile(`${root}${p}`) })));
}

/** Regular files and directories under `dir/<subdirs>` as tar entries below `prefix` (symlinks skipped). */
export async function hostTree(dir: string, prefix: string, subdirs: readonly string[]): Promise<TarFile[]> {
  const { readdir } = await import('node:fs/promises');
  const out: TarFile[] = [];
  const walk = async (rel: string) => {
    out.push({ path: `${prefix}/${rel}`, type: 'directory' });
    for (const e of await readdir(`${dir}/${rel}`, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push({ path: `${prefix}/${r}`, data: await readFile(`${dir}/${r}`) });
    }
  };
  for (const s of subdirs) await walk(s);
  return out;
}

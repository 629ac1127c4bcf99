import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { extract } from 'tar-stream';
import { type RegistryInfo, skopeo } from '../harness/index.js';

/** One path of a flattened image, with what the comparison looks at. */
export interface TreeEntry {
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  link?: string;
  /** The bytes of a regular file of at most KEPT_CONTENT bytes (to say how small files differ). */
  content?: Buffer;
}

/** Regular files up to this size keep their content in the tree (account databases, config files). */
export const KEPT_CONTENT = 8 * 1024;

export interface FlatImage {
  tree: Map<string, TreeEntry>;
  config: Record<string, unknown> & { config?: Record<string, unknown>; author?: string };
  layers: number;
}

/**
 * Reads an image the independent way: `skopeo copy` to an OCI layout, then applies its layers in order
 * (whiteouts and opaque directories included) into an in-memory tree. Nothing of kaniko-ts is used.
 */
export async function flattenRemoteImage(ref: string, registry: RegistryInfo): Promise<FlatImage> {
  const dir = await mkdtemp(join(tmpdir(), 'flat-'));
  try {
    const r = await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`], {
      registry,
    });
    if (r.exitCode !== 0) throw new Error(`skopeo copy ${ref}: ${r.stderr}`);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    const blob = (d: string) => join(dir, 'blobs', ...d.split(':'));
    const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
    // The config as pushed: `skopeo copy` to an OCI layout converts Docker-format configs and drops
    // Docker-only fields (Shell, Healthcheck, OnBuild), so read the raw blob from the registry.
    const raw = await skopeo(['inspect', '--tls-verify=false', '--raw', '--config', `docker://${ref}`], {
      registry,
    });
    if (raw.exitCode !== 0) throw new Error(`skopeo inspect --config ${ref}: ${raw.stderr}`);
    const config = JSON.parse(raw.stdout);
    const tree = new Map<string, TreeEntry>();
    for (const layer of manifest.layers) await applyLayer(tree, blob(layer.digest), layer.mediaType);
    return { tree, config, layers: manifest.layers.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function removeTree(tree: Map<string, TreeEntry>, path: string, keepSelf = false): void {
  for (const key of [...tree.keys()]) {
    if (key.startsWith(`${path}/`) || (!keepSelf && key === path)) tree.delete(key);
  }
}

async function applyLayer(tree: Map<string, TreeEntry>, file: string, mediaType: string): Promise<void> {
  const ex = extract();
  const hardlinks: Array<[string, string]> = [];
  ex.on('entry', (header, stream, next) => {
    const name = posix.normalize(`/${header.name}`).replace(/\/$/, '') || '/';
    const base = posix.basename(name);
    const dir = posix.dirname(name);
    const done = () => {
      stream.resume();
      next();
    };
    if (base === '.wh..wh..opq') {
      removeTree(tree, dir === '/' ? '' : dir, true);
      return done();
    }
    if (base.startsWith('.wh.')) {
      removeTree(tree, posix.join(dir, base.slice(4)));
      return done();
    }
    const existing = tree.get(name);
    if (existing && (existing.type !== 'directory' || header.type !== 'directory')) removeTree(tree, name);
    const entry: TreeEntry = {
      type:
        header.type === 'directory'
          ? 'directory'
          : header.type === 'symlink'
            ? 'symlink'
            : header.type === 'file' || header.type === 'link'
              ? 'file'
              : 'other',
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      size: header.type === 'file' ? (header.size ?? 0) : 0,
      link: header.type === 'symlink' ? (header.linkname ?? undefined) : undefined,
    };
    if (header.type === 'link') hardlinks.push([name, posix.normalize(`/${header.linkname}`)]);
    if (header.type !== 'file') {
      tree.set(name, entry);
      return done();
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    const keep = entry.size <= KEPT_CONTENT;
    stream.on('data', (d: unknown) => {
      hash.update(d as Buffer);
      if (keep) chunks.push(d as Buffer);
    });
    stream.on('end', () => {
      entry.sha256 = hash.digest('hex');
      if (keep) entry.content = Buffer.concat(chunks);
      tree.set(name, entry);
      next();
    });
  });
  const source = createReadStream(file);
  if (mediaType.includes('zstd')) await pipeline(source, createZstdDecompress(), ex);
  else if (mediaType.includes('gzip')) await pipeline(source, createGunzip(), ex);
  else await pipeline(source, ex);
  for (const [name, target] of hardlinks) {
    const t = tree.get(target);
    const e = tree.get(name);
    if (t && e) Object.assign(e, { size: t.size, sha256: t.sha256, content: t.content });
  }
}

/**
 * Buildah's RUN leftovers (TESTING.md: empty etc/hosts, run/, etc/.pwd.lock; plus the /dev mount point
 * it creates on bases that have none) and runtime files neither tool owns.
 */
export const IGNORED_PATHS = [
  /^\/etc\/hosts$/,
  /^\/etc\/hostname$/,
  /^\/etc\/resolv\.conf$/,
  /^\/etc\/\.pwd\.lock$/,
  /^\/run(\/|$)/,
  /^\/dev$/,
];

/** Differences between two trees, one line each (empty when equal). */
export function diffTrees(
  ours: Map<string, TreeEntry>,
  theirs: Map<string, TreeEntry>,
  expectedDifferences: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const ignored = (p: string) => IGNORED_PATHS.some((re) => re.test(p)) || expectedDifferences.includes(p);
  const fmt = (e: TreeEntry) =>
    `${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.type === 'file' ? `${e.size} ${e.sha256?.slice(0, 12)}` : ''}${e.link ? `-> ${e.link}` : ''}`;
  for (const p of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) {
    if (ignored(p)) continue;
    const a = ours.get(p);
    const b = theirs.get(p);
    if (!a) out.push(`only in buildah: ${p} (${fmt(b as TreeEntry)})`);
    else if (!b) out.push(`only in kaniko-ts: ${p} (${fmt(a)})`);
    else if (fmt(a) !== fmt(b)) out.push(`${p}: kaniko-ts ${fmt(a)} | buildah ${fmt(b)}`);
  }
  return out;
}

/** The runtime-config fields the comparison covers (ISSUE: Env … Shell). */
export const CONFIG_FIELDS = [
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'User',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
] as const;

/** A config field with "unset" spellings made equal (null, [], {}, '') and Buildah's own label dropped. */
export function normalizeField(field: string, value: unknown): unknown {
  // HEALTHCHECK NONE: BuildKit records {Test: ["NONE"]}, Buildah drops the field; both mean "no check".
  if (field === 'Healthcheck' && JSON.stringify(value) === '{"Test":["NONE"]}') return undefined;
  if (value === null || value === undefined || value === '') return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const o = { ...(value as Record<string, unknown>) };
    if (field === 'Labels') delete o['io.buildah.version'];
    return Object.keys(o).length === 0 ? undefined : o;
  }
  return value;
}

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');

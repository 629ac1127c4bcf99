import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { withFileLock } from './file-lock.js';
import { type WrittenImage, writeSingleLayerImage } from './oci-layout-writer.js';
import type { RegistryInfo } from './registry.js';
import { containersToolFlags, startRegistry } from './registry.js';
import { runChecked } from './run-command.js';

/** Bump when the recipe changes, so every cache built by an older recipe is ignored. */
const RECIPE = 'r1';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** File times inside the busybox layer (reproducible layer digests). */
const EPOCH = '2024-01-01T00:00:00Z';

export type BaseImageName = 'busybox' | 'debian';

/** A base image cached on disk as an OCI image layout with one tag, `latest`. */
export interface BaseImageLayout extends WrittenImage {
  name: BaseImageName;
  /** OCI layout directory; `oci:${dir}:latest` for skopeo, umoci, podman. */
  dir: string;
  /** The Debian package version(s) the image was made from, part of the cache key. */
  sourceVersion: string;
}

export type BaseImages = Record<BaseImageName, BaseImageLayout>;

/** The cache root: `${XDG_CACHE_HOME:-~/.cache}/kaniko-ts-test`. */
export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kaniko-ts-test');
}

/**
 * Returns the busybox and Debian bookworm base images, building whichever is not cached yet. No Docker
 * Hub: busybox comes from Debian's busybox-static, Debian from mmdebstrap and the host's apt mirror.
 * A file lock keeps concurrent test processes from building the same cache twice.
 */
export async function ensureBaseImages(
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<BaseImages> {
  const cacheDir = opts.cacheDir ?? testCacheDir();
  const log = opts.log ?? ((line: string) => console.log(line));
  const busyboxVersion = await debianPackageVersion('busybox-static');
  const mmdebstrapVersion = await debianPackageVersion('mmdebstrap');
  const busybox = await cached(cacheDir, 'busybox', `busybox-static_${busyboxVersion}`, log, buildBusybox);
  const debian = await cached(
    cacheDir,
    'debian',
    `bookworm-minbase_mmdebstrap_${mmdebstrapVersion}`,
    log,
    buildDebian,
  );
  return { busybox, debian };
}

/** `dpkg-query -W PKG` prints `PKG<TAB>VERSION`. */
async function debianPackageVersion(pkg: string): Promise<string> {
  const out = (await runChecked('dpkg-query', ['-W', pkg])).stdout.trim();
  const version = out.split('\t')[1];
  if (!version) throw new Error(`reading the version of ${pkg}: not installed (${out})`);
  return version;
}

type Builder = (
  work: string,
  layout: string,
  sourceVersion: string,
  log: (line: string) => void,
) => Promise<WrittenImage>;

async function cached(
  cacheDir: string,
  name: BaseImageName,
  sourceVersion: string,
  log: (line: string) => void,
  build: Builder,
): Promise<BaseImageLayout> {
  const dir = join(
    cacheDir,
    'images',
    `${name}_${sourceVersion.replace(/[^A-Za-z0-9._+-]/g, '_')}_${RECIPE}`,
  );
  const meta = join(dir, 'kaniko-ts-base.json');
  const read = (): BaseImageLayout | undefined =>
    existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as BaseImageLayout) : undefined;
  const hit = read();
  if (hit) return hit;
  return withFileLock(join(cacheDir, `.${name}.lock`), async () => {
    const again = read(); // another process may have built it while we waited
    if (again) return again;
    const started = performance.now();
    log(`[harness] building base image ${name} from ${sourceVersion} into ${dir}`);
    await mkdir(dirname(dir), { recursive: true });
    const work = await mkdtemp(join(dirname(dir), `.${name}-build-`));
    try {
      const layout = join(work, 'layout');
      const written = await build(work, layout, sourceVersion, log);
      const info: BaseImageLayout = { name, dir, sourceVersion, ...written };
      await writeFile(join(layout, 'kaniko-ts-base.json'), JSON.stringify(info, null, 2));
      await rm(dir, { recursive: true, force: true });
      await rename(layout, dir);
      log(`[harness] built base image ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return info;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** /bin/busybox from busybox-static, a link for every applet, minimal passwd/group, /tmp 1777, /root. */
const buildBusybox: Builder = async (work, layout, sourceVersion) => {
  const root = join(work, 'rootfs');
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'etc',
    'root',
    'home/user',
    'tmp',
    'var',
    'proc',
    'sys',
    'dev',
  ]) {
    await mkdir(join(root, d), { recursive: true });
  }
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = (await runChecked('/bin/busybox', ['--list-full'])).stdout.split('\n').filter(Boolean);
  if (applets.length < 100) throw new Error(`building busybox base: only ${applets.length} applets listed`);
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    await mkdir(dirname(join(root, applet)), { recursive: true });
    await symlink('/bin/busybox', join(root, applet));
  }
  await writeFile(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n',
  );
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnobody:x:65534:\nuser:x:1000:\n');
  await chmod(join(root, 'tmp'), 0o1777);
  await chmod(join(root, 'root'), 0o700);
  await chown(join(root, 'home/user'), 1000, 1000);
  const tar = join(work, 'layer.tar');
  const top = readdirSync(root).sort();
  await runChecked('tar', [
    '--create',
    '--file',
    tar,
    '--directory',
    root,
    '--sort=name',
    '--numeric-owner',
    `--mtime=${EPOCH}`,
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    ...top,
  ]);
  return writeSingleLayerImage({
    dir: layout,
    layerTar: tar,
    tag: 'latest',
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    createdBy: `kaniko-ts test harness: busybox-static ${sourceVersion}, ${applets.length} applets`,
    created: EPOCH,
  });
};

/** `mmdebstrap --variant=minbase --include=passwd --skip=output/dev bookworm` from the host's mirror. */
const buildDebian: Builder = async (work, layout, sourceVersion, log) => {
  const tar = join(work, 'rootfs.tar');
  const mirrors = debianSources();
  const started = performance.now();
  await runChecked(
    'mmdebstrap',
    ['--quiet', '--variant=minbase', '--include=passwd', '--skip=output/dev', 'bookworm', tar, ...mirrors],
    { timeoutMs: 600_000 },
  );
  log(`[harness] mmdebstrap ${mirrors.join(' | ')}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const debianVersion = await runChecked('tar', [
    '--extract',
    '--to-stdout',
    '--file',
    tar,
    './etc/debian_version',
  ]);
  return writeSingleLayerImage({
    dir: layout,
    layerTar: tar,
    tag: 'latest',
    config: { Env: [PATH_ENV], Cmd: ['bash'] },
    createdBy: `kaniko-ts test harness: ${sourceVersion}, debian ${debianVersion.stdout.trim()}`,
  });
};

/**
 * One-line apt sources (`deb URI SUITE COMPONENTS`) for bookworm, taken from the host's
 * /etc/apt/sources.list and sources.list.d (one-line and deb822 formats), so mmdebstrap uses whatever
 * mirror this machine can reach. Falls back to deb.debian.org.
 */
export function debianSources(aptDir = '/etc/apt'): string[] {
  const entries: string[] = [];
  const files = [join(aptDir, 'sources.list')];
  const d = join(aptDir, 'sources.list.d');
  if (existsSync(d))
    files.push(
      ...readdirSync(d)
        .sort()
        .map((f) => join(d, f)),
    );
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
        if (m && /^bookworm(-|$)/.test(m[2]!)) entries.push(`deb ${m[1]} ${m[2]} ${m[3]}`);
      }
    } else if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim() ?? '';
        if (!field('Types').split(/\s+/).includes('deb') || /^no$/i.test(field('Enabled'))) continue;
        for (const uri of field('URIs').split(/\s+/).filter(Boolean)) {
          for (const suite of field('Suites')
            .split(/\s+/)
            .filter((s) => /^bookworm(-|$)/.test(s))) {
            entries.push(`deb ${uri} ${suite} ${field('Components') || 'main'}`);
          }
        }
      }
    }
  }
  return entries.length > 0 ? [...new Set(entries)] : ['deb http://deb.debian.org/debian bookworm main'];
}

export interface PushedImage {
  /** `HOST/base/busybox:latest`. */
  ref: string;
  digest: string;
  /** `HOST/base/busybox@sha256:…`. */
  refByDigest: string;
}

export type PushedBaseImages = Record<BaseImageName, PushedImage>;

/** Where the bases live in every test registry. */
export const BASE_REPOS: Record<BaseImageName, string> = {
  busybox: 'base/busybox:latest',
  debian: 'base/debian:bookworm',
};

export interface RegistrySeed {
  /** Storage tree of a registry that holds both bases under `BASE_REPOS` (pass to `startRegistry`). */
  storageDir: string;
  /** Manifest digest of each base as pushed. */
  digests: Record<BaseImageName, string>;
}

/**
 * A registry storage tree holding the base images, built once per base-image version by pushing them
 * with skopeo into a throw-away registry. Starting a registry from it costs milliseconds instead of a
 * push of ~60 MB per registry.
 */
export async function ensureRegistrySeed(
  bases: BaseImages,
  opts: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<RegistrySeed> {
  const cacheDir = opts.cacheDir ?? testCacheDir();
  const key = `${bases.busybox.manifestDigest.slice(7, 19)}-${bases.debian.manifestDigest.slice(7, 19)}_${RECIPE}`;
  const dir = join(cacheDir, 'registry-seed', key);
  const meta = join(dir, 'seed.json');
  const read = () =>
    existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as RegistrySeed) : undefined;
  const hit = read();
  if (hit) return hit;
  return withFileLock(join(cacheDir, '.registry-seed.lock'), async () => {
    const again = read();
    if (again) return again;
    (opts.log ?? console.log)(`[harness] pushing base images into the registry seed ${dir}`);
    await mkdir(dirname(dir), { recursive: true });
    const work = await mkdtemp(join(dirname(dir), '.seed-'));
    try {
      const storageDir = join(work, 'storage');
      const registry = await startRegistry({ variant: 'plain', storageDir });
      let pushed: PushedBaseImages;
      try {
        pushed = await pushBaseImages(registry, bases);
      } finally {
        await registry.stop();
      }
      const seed: RegistrySeed = {
        storageDir: join(dir, 'storage'),
        digests: { busybox: pushed.busybox.digest, debian: pushed.debian.digest },
      };
      await writeFile(join(work, 'seed.json'), JSON.stringify(seed, null, 2));
      await rm(dir, { recursive: true, force: true });
      await rename(work, dir);
      return seed;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** The refs of the bases in a registry started from a seed. */
export function seededBaseImages(registry: RegistryInfo, seed: RegistrySeed): PushedBaseImages {
  const pushed = (name: BaseImageName): PushedImage => {
    const ref = `${registry.host}/${BASE_REPOS[name]}`;
    const digest = seed.digests[name];
    return { ref, digest, refByDigest: `${ref.slice(0, ref.lastIndexOf(':'))}@${digest}` };
  };
  return { busybox: pushed('busybox'), debian: pushed('debian') };
}

/** Pushes the cached base images to a registry with `skopeo copy`; returns refs and manifest digests. */
export async function pushBaseImages(registry: RegistryInfo, bases: BaseImages): Promise<PushedBaseImages> {
  const push = async (name: BaseImageName): Promise<PushedImage> => {
    const ref = `${registry.host}/${BASE_REPOS[name]}`;
    const digestFile = join(
      tmpdir(),
      `kaniko-ts-digest-${process.pid}-${registry.variant}-${name}-${Date.now()}`,
    );
    try {
      await runChecked('skopeo', [
        'copy',
        '--quiet',
        ...containersToolFlags(registry, 'dest'),
        '--digestfile',
        digestFile,
        `oci:${bases[name].dir}:latest`,
        `docker://${ref}`,
      ]);
      const digest = (await readFile(digestFile, 'utf8')).trim();
      return { ref, digest, refByDigest: `${ref.slice(0, ref.lastIndexOf(':'))}@${digest}` };
    } finally {
      await rm(digestFile, { force: true });
    }
  };
  const [busybox, debian] = await Promise.all([push('busybox'), push('debian')]);
  return { busybox, debian };
}

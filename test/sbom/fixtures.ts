/**
 * Fixture builders for the SBOM end-to-end tests. Every fixture is made by a real package manager or
 * toolchain (mmdebstrap, npm, apt/dpkg, go, rpmbuild/rpm); the expected package lists come from those
 * same tools (dpkg-query, npm ls, importlib.metadata, go version -m, rpm -qa), never typed by hand.
 * Slow fixtures are cached under ~/.cache/kaniko-ts-test/sbom/, keyed by a recipe id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageUrlParts } from '@kaniko-ts/sbom';
import {
  ensureBaseImages,
  ensureTools,
  findExecutable,
  runChecked,
  type ToolSpec,
  testCacheDir,
  withFileLock,
} from '../harness/index.js';

const RECIPE = 'r1';

const tool = (name: string, pkg: string): ToolSpec => ({
  tool: name,
  pkg,
  present: () => findExecutable(name) !== undefined,
});

/** Tools the SBOM fixtures need, with the Debian packages that provide them. */
export const SBOM_TOOLS: readonly ToolSpec[] = [
  tool('mmdebstrap', 'mmdebstrap'),
  tool('rpmbuild', 'rpm'),
  tool('go', 'golang-go'),
  tool('python3', 'python3'),
  tool('dpkg-deb', 'dpkg'),
  tool('objcopy', 'binutils'),
  tool('db5.3_load', 'db5.3-util'),
];

export async function ensureSbomTools(): Promise<void> {
  await ensureTools({ tools: SBOM_TOOLS, log: () => {} });
}

export function sbomCacheDir(): string {
  return join(testCacheDir(), 'sbom');
}

/** Builds `name` into the cache once (file lock + marker), returns its directory. */
export async function cached(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(sbomCacheDir(), `${name}_${RECIPE}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  await mkdir(sbomCacheDir(), { recursive: true });
  return withFileLock(join(sbomCacheDir(), `.${name}.lock`), async () => {
    if (existsSync(marker)) return dir;
    const work = await mkdtemp(join(sbomCacheDir(), `.${name}-build-`));
    try {
      await build(work);
      await writeFile(join(work, '.complete'), new Date().toISOString());
      await rm(dir, { recursive: true, force: true });
      await rename(work, dir);
      return dir;
    } catch (e) {
      await rm(work, { recursive: true, force: true });
      throw e;
    }
  });
}

export interface DebianBase {
  /** OCI layout directory of the harness's Debian bookworm minbase image. */
  readonly layout: string;
  readonly manifestDigest: string;
  readonly diffId: string;
  /** The gzip layer blob. */
  readonly layerBlob: string;
  /** The layer unpacked into a directory (cached). */
  readonly root: string;
}

/** The harness's Debian minbase image (mmdebstrap) and its single layer unpacked on disk. */
export async function debianBase(): Promise<DebianBase> {
  await ensureSbomTools();
  const { debian } = await ensureBaseImages({ log: () => {} });
  const blob = (d: string) => join(debian.dir, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const manifest = JSON.parse(readFileSync(blob(debian.manifestDigest), 'utf8')) as {
    layers: { digest: string }[];
  };
  const layerBlob = blob(manifest.layers[0]!.digest);
  const root = await cached(`debian-root-${debian.diffId.slice(7, 19)}`, async (dir) => {
    await mkdir(join(dir, 'rootfs'));
    await runChecked('tar', [
      '--extract',
      '--gzip',
      '--file',
      layerBlob,
      '--directory',
      join(dir, 'rootfs'),
      '--numeric-owner',
    ]);
  });
  return {
    layout: debian.dir,
    manifestDigest: debian.manifestDigest,
    diffId: debian.diffId,
    layerBlob,
    root: join(root, 'rootfs'),
  };
}

/** The purl parts a package dpkg-query lists in these (Debian) fixtures should have. */
export function debianDebPurl(row: { name: string; version: string; arch: string }): PackageUrlParts {
  return {
    type: 'deb',
    namespace: 'debian',
    name: row.name,
    version: row.version,
    qualifiers: { arch: row.arch },
  };
}

/** Installed dpkg packages (state `installed`) of a root, as dpkg-query reports them. */
export async function dpkgQuery(root: string): Promise<{ name: string; version: string; arch: string }[]> {
  const out = await runChecked('dpkg-query', [
    '-W',
    `--admindir=${join(root, 'var/lib/dpkg')}`,
    '-f',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    '${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Status}\\n',
  ]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .filter((f) => f[3] === 'installed')
    .map(([name, version, arch]) => ({ name: name!, version: version!, arch: arch! }));
}

/** A project with real `npm install`ed dependencies (scoped, nested, duplicated versions). */
export async function npmTree(): Promise<string> {
  return cached('npm-tree', async (dir) => {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'sbom-fixture', version: '1.0.0', private: true }),
    );
    await runChecked(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
        'debug@2.6.9',
        'ms@2.1.3',
        '@sindresorhus/is@4.6.0',
        'semver@7.5.4',
        'chalk@4.1.2',
      ],
      { cwd: dir, timeoutMs: 300_000 },
    );
  });
}

/** Flattens `npm ls --all --json` into name@version pairs (deduped). */
export async function npmLs(dir: string): Promise<{ name: string; version: string }[]> {
  const out = await runChecked('npm', ['ls', '--all', '--json'], { cwd: dir });
  const seen = new Map<string, { name: string; version: string }>();
  const visit = (deps: Record<string, { version?: string; dependencies?: unknown }> | undefined) => {
    for (const [name, d] of Object.entries(deps ?? {})) {
      if (d.version) seen.set(`${name}@${d.version}`, { name, version: d.version });
      visit(d.dependencies as never);
    }
  };
  visit(JSON.parse(out.stdout).dependencies);
  return [...seen.values()];
}

const PY_DEBS = [
  'python3-six',
  'python3-idna',
  'python3-certifi',
  'python3-urllib3',
  'python3-chardet',
  'python3-requests',
  'python3-pkg-resources',
];

/** Debian's python3 library packages unpacked (dist-info / egg-info trees) into `root`. */
export async function pythonTree(): Promise<string> {
  await ensureSbomTools();
  return cached('python-tree', async (dir) => {
    const debs = join(dir, 'debs');
    await mkdir(debs);
    await runChecked('apt-get', ['download', ...PY_DEBS], { cwd: debs, timeoutMs: 300_000 });
    for (const f of await readdir(debs))
      await runChecked('dpkg-deb', ['-x', join(debs, f), join(dir, 'root')]);
    await rm(debs, { recursive: true });
  });
}

/** Distributions importlib.metadata finds under `sitePackages`: [Name, version]. */
export async function pythonDistributions(
  sitePackages: string,
): Promise<{ name: string; version: string }[]> {
  const code =
    'import importlib.metadata as m, json, sys\n' +
    'print(json.dumps([[d.metadata["Name"], d.version] for d in m.distributions(path=[sys.argv[1]])]))';
  const out = await runChecked('python3', ['-c', code, sitePackages]);
  return (JSON.parse(out.stdout) as [string, string][]).map(([name, version]) => ({ name, version }));
}

const GO_MAIN = `package main

import (
\t"fmt"

\t"example.com/greet"
\t"example.org/tools/shout"
)

func main() { fmt.Println(shout.Up(greet.Hello("sbom"))) }
`;

/** A Go binary with a local replaced module and a module served from a file:// GOPROXY (offline). */
export async function goBinary(): Promise<string> {
  await ensureSbomTools();
  return cached('go-binary', async (dir) => {
    const src = join(dir, 'src');
    const proxy = join(dir, 'proxy');
    const mod = join(proxy, 'example.org/tools/@v');
    await mkdir(join(src, 'greet'), { recursive: true });
    await mkdir(mod, { recursive: true });
    // A module version in GOPROXY layout: list, .info, .mod and a module zip (paths prefixed module@version/).
    const zipDir = join(dir, 'zip', 'example.org/tools@v1.4.2');
    await mkdir(join(zipDir, 'shout'), { recursive: true });
    await writeFile(join(zipDir, 'go.mod'), 'module example.org/tools\n\ngo 1.19\n');
    await writeFile(
      join(zipDir, 'shout/shout.go'),
      'package shout\n\nimport "strings"\n\nfunc Up(s string) string { return strings.ToUpper(s) }\n',
    );
    await writeFile(join(mod, 'list'), 'v1.4.2\n');
    await writeFile(
      join(mod, 'v1.4.2.info'),
      JSON.stringify({ Version: 'v1.4.2', Time: '2024-01-01T00:00:00Z' }),
    );
    await writeFile(join(mod, 'v1.4.2.mod'), 'module example.org/tools\n\ngo 1.19\n');
    await runChecked('python3', [
      '-c',
      'import sys, zipfile, os\nbase=sys.argv[2]\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n  for r, _, fs in os.walk(base):\n    for f in fs:\n      p=os.path.join(r,f); z.write(p, os.path.relpath(p, os.path.dirname(os.path.dirname(base))))',
      join(mod, 'v1.4.2.zip'),
      zipDir,
    ]);
    await writeFile(
      join(src, 'go.mod'),
      'module example.com/sbomhello\n\ngo 1.19\n\nrequire (\n\texample.com/greet v0.1.0\n\texample.org/tools v1.4.2\n)\n\nreplace example.com/greet => ./greet\n',
    );
    await writeFile(join(src, 'main.go'), GO_MAIN);
    await writeFile(join(src, 'greet/go.mod'), 'module example.com/greet\n\ngo 1.19\n');
    await writeFile(
      join(src, 'greet/greet.go'),
      'package greet\n\nfunc Hello(n string) string { return "hello " + n }\n',
    );
    const env = {
      ...process.env,
      GOPROXY: `file://${proxy}`,
      GOSUMDB: 'off',
      GOFLAGS: '-mod=mod',
      GOPATH: join(dir, 'gopath'),
      GOCACHE: join(sbomCacheDir(), 'gocache'),
      CGO_ENABLED: '0',
      HOME: dir,
    };
    await mkdir(join(dir, 'root/usr/local/bin'), { recursive: true });
    await runChecked('go', ['build', '-o', join(dir, 'root/usr/local/bin/sbomhello'), '.'], {
      cwd: src,
      env,
      timeoutMs: 600_000,
    });
    await rm(join(dir, 'gopath'), { recursive: true, force: true }).catch(() => {});
  });
}

/** `go version -m` of a binary: main module, deps (with replacements) and Go version. */
export async function goVersionM(
  binary: string,
): Promise<{ go: string; mods: { kind: string; path: string; version: string }[] }> {
  const out = await runChecked('go', ['version', '-m', binary]);
  const lines = out.stdout.split('\n');
  const go = lines[0]!.split(': ')[1]!.trim();
  const mods: { kind: string; path: string; version: string }[] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split('\t');
    if (f[0] === 'mod' || f[0] === 'dep' || f[0] === '=>')
      mods.push({ kind: f[0], path: f[1]!, version: f[2]! });
  }
  return { go, mods };
}

/** Debian's commons-lang3 and commons-io jars, plus a fat jar that nests both (built with python's zipfile). */
export async function javaTree(): Promise<string> {
  await ensureSbomTools();
  return cached('java-tree', async (dir) => {
    const debs = join(dir, 'debs');
    await mkdir(debs);
    await runChecked('apt-get', ['download', 'libcommons-lang3-java', 'libcommons-io-java'], {
      cwd: debs,
      timeoutMs: 300_000,
    });
    for (const f of await readdir(debs))
      await runChecked('dpkg-deb', ['-x', join(debs, f), join(dir, 'root')]);
    await rm(debs, { recursive: true });
    await mkdir(join(dir, 'root/app'), { recursive: true });
    await runChecked('python3', [
      '-c',
      'import sys, zipfile, glob, os\n' +
        'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n' +
        '  z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\\nMain-Class: app.Main\\n")\n' +
        '  for j in sorted(glob.glob(os.path.join(sys.argv[2], "*.jar"))):\n' +
        '    if not os.path.islink(j): z.write(j, "BOOT-INF/lib/" + os.path.basename(j), zipfile.ZIP_STORED)',
      join(dir, 'root/app/fat.jar'),
      join(dir, 'root/usr/share/java'),
    ]);
  });
}

/** Maven coordinates from Debian's maven-repo layout (`group/path/artifact/version/artifact-version.pom`). */
export async function mavenRepoCoordinates(
  root: string,
): Promise<{ group: string; artifact: string; version: string }[]> {
  const base = join(root, 'usr/share/maven-repo');
  const out: { group: string; artifact: string; version: string }[] = [];
  const walk = async (dir: string, parts: string[]) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name), [...parts, e.name]);
      else if (e.name.endsWith('.pom') && parts.length >= 3) {
        const version = parts.at(-1)!;
        const artifact = parts.at(-2)!;
        if (version === 'debian' || version.endsWith('.x')) continue;
        if (e.name !== `${artifact}-${version}.pom`) continue;
        out.push({ group: parts.slice(0, -2).join('.'), artifact, version });
      }
    }
  };
  await walk(base, []);
  return out;
}

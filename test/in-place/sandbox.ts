import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, runCommand } from '../harness/index.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Docker's default capability set for a container's root. */
export const DOCKER_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** The executor as a GitLab job image would hold it: the CLI bundle and node under /kaniko-ts. */
export interface ExecutorTemplate {
  dir: string;
  /** Shared libraries node links against, by their path in the root. */
  libs: Array<{ from: string; to: string }>;
}

/**
 * Bundles the CLI (scripts/gen-bundles.mjs --cli, esbuild) and records node and its libraries. The
 * bundle is built once per source tree and shared by every in-place test file: it is kept under the
 * temp dir, named by a hash of the sources it is made from (packages' src and package.json, the
 * bundler script, the lock file). `IN_PLACE_BUNDLE_FROM_HEAD=1` bundles the committed sources
 * instead (gen-bundles --from-head), for a checkout others are editing; `IN_PLACE_BUNDLE_DIR=<dir>`
 * uses the kaniko-ts.mjs and chunks in <dir> as they are.
 */
export function prepareExecutor(scratch: string): ExecutorTemplate {
  const dir = join(scratch, 'template', 'kaniko-ts');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // the entry, the chunks it loads on demand and native addons
  const bundle = cachedBundle();
  for (const name of readdirSync(bundle)) copyFileSync(join(bundle, name), join(dir, name));
  const node = realpathSync(join(repo, 'node_modules/.bin/node'));
  copyFileSync(node, join(dir, 'bin', 'node'));
  chmodSync(join(dir, 'bin', 'node'), 0o755);
  const libs: ExecutorTemplate['libs'] = [];
  for (const line of execFileSync('ldd', [node]).toString().split('\n')) {
    const lib = /=>\s+(\S+)/.exec(line)?.[1] ?? /^\s+(\/\S+)\s+\(/.exec(line)?.[1];
    if (lib) libs.push({ from: realpathSync(lib), to: lib });
  }
  return { dir, libs };
}

/** The directory holding kaniko-ts.mjs and its chunks for the current sources, bundled when missing. */
function cachedBundle(): string {
  // a bundle made elsewhere (a release's, or one patched by hand while chasing a bundling bug)
  if (process.env.IN_PLACE_BUNDLE_DIR) return process.env.IN_PLACE_BUNDLE_DIR;
  const fromHead = process.env.IN_PLACE_BUNDLE_FROM_HEAD === '1';
  const hash = createHash('sha256');
  if (fromHead) hash.update(execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD']));
  else for (const file of bundleInputs()) hash.update(file).update('\0').update(readFileSync(file));
  const cacheDir = join(tmpdir(), 'kaniko-ts-in-place-bundle');
  const bundle = join(cacheDir, hash.digest('hex').slice(0, 24));
  if (existsSync(bundle)) return bundle;
  const partial = `${bundle}.${process.pid}.partial`;
  mkdirSync(partial, { recursive: true });
  execFileSync(process.execPath, [
    join(repo, 'scripts/gen-bundles.mjs'),
    ...(fromHead ? ['--from-head'] : []),
    '--cli',
    join(partial, 'kaniko-ts.mjs'),
  ]);
  try {
    renameSync(partial, bundle);
  } catch (e) {
    // a parallel run made the same bundle first
    if (!existsSync(bundle)) throw e;
    rmSync(partial, { recursive: true, force: true });
  }
  // older bundles (another source tree) go once they are an hour old: a parallel run may still copy one
  for (const name of readdirSync(cacheDir)) {
    const p = join(cacheDir, name);
    if (p !== bundle && Date.now() - statSync(p).mtimeMs > 3_600_000)
      rmSync(p, { recursive: true, force: true });
  }
  return bundle;
}

/** The files the CLI bundle is made from, sorted. */
function bundleInputs(): string[] {
  const files = [join(repo, 'scripts/gen-bundles.mjs'), join(repo, 'package-lock.json')];
  for (const pkg of readdirSync(join(repo, 'packages'))) {
    const src = join(repo, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    files.push(join(repo, 'packages', pkg, 'package.json'));
    for (const rel of readdirSync(src, { recursive: true, encoding: 'utf8' }))
      if (!rel.endsWith('.test.ts') && statSync(join(src, rel)).isFile()) files.push(join(src, rel));
  }
  return files.sort();
}

/**
 * A throwaway root: node and the bundle under /kaniko-ts (hard links to the template: that
 * directory is ignored by the build, so nothing writes into it), node's shared libraries copied to
 * their paths, an empty /workspace and /mnt/volume (bind-mount targets), /tmp, and — unless
 * `container` is false — /.dockerenv saying this is a container. Nothing else.
 */
export function makeRoot(template: ExecutorTemplate, root: string, opts: { container?: boolean } = {}): void {
  mkdirSync(join(root, 'kaniko-ts', 'bin'), { recursive: true });
  for (const name of readdirSync(template.dir)) {
    if (name === 'bin') continue;
    linkSync(join(template.dir, name), join(root, 'kaniko-ts', name));
  }
  linkSync(join(template.dir, 'bin', 'node'), join(root, 'kaniko-ts', 'bin', 'node'));
  for (const { from, to } of template.libs) {
    mkdirSync(join(root, dirname(to)), { recursive: true });
    copyFileSync(from, join(root, to));
  }
  for (const d of ['workspace', 'mnt/volume', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  if (opts.container !== false) writeFileSync(join(root, '.dockerenv'), '');
}

export interface SandboxRun {
  root: string;
  /** Host directories bound into the sandbox: host path → path inside. */
  binds?: Record<string, string>;
  roBinds?: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Runs argv as root inside `bwrap`: the root bound at `/`, its own /proc and /dev, the host network
 * (the registries are on 127.0.0.1), own PID/IPC/UTS namespaces, every capability dropped but
 * Docker's default set, and no environment but `env`.
 */
export function inSandbox(argv: string[], run: SandboxRun) {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) throw new Error('bwrap is missing: install Debian bubblewrap (apt-get install -y bubblewrap)');
  const args = ['--bind', run.root, '/', '--proc', '/proc', '--dev', '/dev'];
  for (const [from, to] of Object.entries(run.binds ?? {})) args.push('--bind', from, to);
  for (const [from, to] of Object.entries(run.roBinds ?? {})) args.push('--ro-bind', from, to);
  args.push('--share-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent');
  args.push('--cap-drop', 'ALL');
  for (const cap of DOCKER_CAPS) args.push('--cap-add', `CAP_${cap}`);
  args.push('--clearenv');
  for (const [k, v] of Object.entries(run.env ?? {})) args.push('--setenv', k, v);
  args.push('--chdir', run.cwd ?? '/', '--', ...argv);
  return runCommand(bwrap, args, { timeoutMs: run.timeoutMs ?? 300_000 });
}

/** `kaniko-ts <args>` inside the sandbox, with node from /kaniko-ts/bin. */
export function cliInSandbox(args: string[], run: SandboxRun) {
  return inSandbox(['/kaniko-ts/bin/node', '/kaniko-ts/kaniko-ts.mjs', ...args], {
    ...run,
    env: { PATH: '/kaniko-ts/bin:/usr/local/bin:/usr/bin:/bin', HOME: '/root', ...run.env },
  });
}

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
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

/** Bundles the CLI (scripts/gen-bundles.mjs --cli, esbuild) and records node and its libraries. */
export function prepareExecutor(scratch: string): ExecutorTemplate {
  const dir = join(scratch, 'template', 'kaniko-ts');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  execFileSync(process.execPath, [
    join(repo, 'scripts/gen-bundles.mjs'),
    '--cli',
    join(dir, 'kaniko-ts.mjs'),
  ]);
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

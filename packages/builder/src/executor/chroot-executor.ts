import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import type { Executor, OutputSink, RunOptions } from './executor.js';
import { MountPoints } from './mount-points.js';

/** Docker's default capability set for a root process in a container. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'chown',
  'dac_override',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'net_bind_service',
  'net_raw',
  'sys_chroot',
  'mknod',
  'audit_write',
  'setfcap',
]);

export interface ChrootExecutorOptions {
  /**
   * `root`: the builder runs as root; namespaces are created directly and any uid/gid works.
   * `userns`: unprivileged; a user namespace maps the caller to root (RUN as uid 0 only).
   */
  mode?: 'root' | 'userns';
  /** Host files bound read-only over the root's /etc/resolv.conf and /etc/hosts. */
  resolvConf?: string;
  hosts?: string;
  /** Capabilities a root RUN keeps (default Docker's default set). */
  capabilities?: readonly string[];
  /** Host name the RUN sees (own UTS namespace); default: the host's name, in a private copy. */
  hostname?: string;
  /** PATH used to find unshare, setpriv, mount and env on the host (never given to the RUN). */
  toolPath?: string;
}

const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Placeholders for host tool paths in the final command (a NUL cannot occur in a real argument). */
const SETPRIV = '\0setpriv';
const UNSHARE = '\0unshare';
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

function sinkOf(out: OutputSink | undefined): (chunk: Buffer) => void {
  if (out === undefined) return () => undefined;
  if (typeof out === 'function') return out;
  return (chunk) => {
    out.write(chunk);
  };
}

function envList(env: RunOptions['env']): string[] {
  const list = Array.isArray(env) ? env : Object.entries(env).map(([k, v]) => `${k}=${v}`);
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0 || kv.startsWith('-'))
      throw new BuilderError('EXECUTOR_FAILED', `running a command: bad environment entry "${kv}"`);
  }
  return list;
}

/**
 * Runs a RUN command chrooted into the root, inside private mount and PID namespaces (util-linux
 * `unshare`), with /proc, a minimal /dev (null zero full random urandom tty, pts, shm) and the
 * host's resolv.conf and hosts bound over the root's files — mounts that exist only in the
 * namespace, so nothing of the host lands in the root or the layer. The user switch is
 * `setpriv` (gid and supplementary groups, capability bounding set) then `unshare --root --wd
 * --setuid`, so the chroot and chdir happen before the uid changes. The command runs as PID 1 of
 * its namespace: when it exits, the kernel kills every process it left behind.
 */
export class ChrootExecutor implements Executor {
  readonly kind = 'chroot';
  private readonly opts: ChrootExecutorOptions;

  constructor(opts: ChrootExecutorOptions = {}) {
    this.opts = opts;
  }

  async run(run: RunOptions): Promise<number> {
    const mode = this.opts.mode ?? 'root';
    if (run.argv.length === 0) throw new BuilderError('EXECUTOR_FAILED', 'running a command: empty argv');
    if (
      mode === 'userns' &&
      (run.user.uid !== 0 || run.user.gid !== 0 || (run.user.groups ?? []).some((g) => g !== 0))
    ) {
      throw new BuilderError(
        'EXECUTOR_UNAVAILABLE',
        `running as ${run.user.uid}:${run.user.gid}: an unprivileged builder (user namespace) can only RUN as root`,
      );
    }
    const env = envList(run.env);
    const points = new MountPoints(run.root);
    try {
      const script = await this.script(run, points, env);
      return await this.spawn(script, run, mode);
    } finally {
      await points.cleanup();
    }
  }

  private async script(run: RunOptions, points: MountPoints, env: string[]): Promise<string> {
    const lines = ['set -e', 'exec 4>&2 2>&3'];
    // like Docker's `--network=none`: a namespace with only loopback, brought up when `ip` exists
    if (run.network === 'none') lines.push('ip link set lo up 2>/dev/null || true');
    if (this.opts.hostname !== undefined) lines.push(`hostname ${q(this.opts.hostname)}`);
    const proc = await points.ensure('/proc', 'dir');
    lines.push(`mount -t proc -o nosuid,nodev,noexec proc ${q(proc)}`);
    const dev = await points.ensure('/dev', 'dir');
    lines.push(`mount -t tmpfs -o nosuid,noexec,mode=755,size=65536k tmpfs ${q(dev)}`);
    for (const d of DEVICES)
      lines.push(`: > ${q(`${dev}/${d}`)}`, `mount --bind /dev/${d} ${q(`${dev}/${d}`)}`);
    lines.push(
      `mkdir -m 755 ${q(`${dev}/pts`)} ${q(`${dev}/shm`)}`,
      `mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts ${q(`${dev}/pts`)} || true`,
      `ln -s pts/ptmx ${q(`${dev}/ptmx`)}`,
      `mount -t tmpfs -o nosuid,nodev,mode=1777 shm ${q(`${dev}/shm`)}`,
      `ln -s /proc/self/fd ${q(`${dev}/fd`)}`,
      `ln -s /proc/self/fd/0 ${q(`${dev}/stdin`)}`,
      `ln -s /proc/self/fd/1 ${q(`${dev}/stdout`)}`,
      `ln -s /proc/self/fd/2 ${q(`${dev}/stderr`)}`,
    );
    const files: Array<[string, string]> = [
      ['/etc/resolv.conf', this.opts.resolvConf ?? '/etc/resolv.conf'],
      ['/etc/hosts', this.opts.hosts ?? '/etc/hosts'],
    ];
    for (const [target, source] of files) {
      const at = await points.ensure(target, 'file');
      lines.push(`mount --bind ${q(source)} ${q(at)}`, `mount -o remount,bind,ro ${q(at)}`);
    }
    const mounts = [...(run.mounts ?? [])].sort(
      (a, b) => a.target.split('/').length - b.target.split('/').length,
    );
    for (const m of mounts) {
      if (m.type === 'tmpfs') {
        const at = await points.ensure(m.target, 'dir');
        const size = m.size === undefined ? '' : `,size=${Math.floor(m.size)}`;
        lines.push(`mount -t tmpfs -o nosuid,nodev,mode=1777${size} tmpfs ${q(at)}`);
        continue;
      }
      const st = await lstat(m.source).catch(() => null);
      if (!st)
        throw new BuilderError(
          'EXECUTOR_FAILED',
          `mounting ${m.type} at ${m.target}: ${m.source} does not exist`,
        );
      const at = await points.ensure(m.target, st.isDirectory() ? 'dir' : 'file');
      lines.push(`mount --bind ${q(m.source)} ${q(at)}`);
      if (m.readonly ?? m.type !== 'cache') lines.push(`mount -o remount,bind,ro ${q(at)}`);
    }
    await points.ensure(run.cwd, 'dir', { keep: true }).catch(() => undefined);
    const groups = run.user.groups ?? [];
    const setpriv = [
      SETPRIV,
      '--regid',
      String(run.user.gid),
      ...(groups.length ? ['--groups', groups.join(',')] : ['--clear-groups']),
    ];
    const caps = this.opts.capabilities ?? DEFAULT_CAPABILITIES;
    if ((this.opts.mode ?? 'root') === 'root') {
      setpriv.push('--bounding-set', ['-all', ...caps.map((c) => `+${c}`)].join(','));
    }
    const chroot = [UNSHARE, `--root=${run.root}`, `--wd=${run.cwd}`];
    if (run.user.uid !== 0) chroot.push('--setuid', String(run.user.uid));
    // in a user namespace mapped to one uid, setgroups is denied and there is only root to be
    const userSwitch = (this.opts.mode ?? 'root') === 'root' ? [...setpriv, '--'] : [];
    const final = ['env', '-i', ...env, ...userSwitch, ...chroot, '--', ...run.argv];
    // host tools by absolute path: `env -i` would otherwise look them up in the RUN's own PATH
    const word = (w: string): string => (w === SETPRIV ? '"$SETPRIV"' : w === UNSHARE ? '"$UNSHARE"' : q(w));
    lines.push(
      'SETPRIV=$(command -v setpriv)',
      'UNSHARE=$(command -v unshare)',
      'exec 2>&4 4>&-',
      'echo ok >&3',
      'exec 3>&-',
      `exec ${final.map(word).join(' ')}`,
    );
    return lines.join('\n');
  }

  private spawn(script: string, run: RunOptions, mode: 'root' | 'userns'): Promise<number> {
    const args = [
      ...(mode === 'userns' ? ['--user', '--map-root-user'] : []),
      '--mount',
      '--pid',
      '--uts',
      '--ipc',
      '--fork',
      '--kill-child',
      '--propagation',
      'private',
      ...(run.network === 'none' ? ['--net'] : []),
      '--',
      '/bin/sh',
      '-c',
      script,
    ];
    const stdout = sinkOf(run.stdout);
    const stderr = sinkOf(run.stderr);
    return new Promise((resolve, reject) => {
      const child = spawn('unshare', args, {
        env: { PATH: this.opts.toolPath ?? HOST_PATH },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        signal: run.signal,
        killSignal: 'SIGKILL',
      });
      let setup = '';
      (child.stdio[3] as Readable).on('data', (c: Buffer) => {
        setup += c.toString('utf8');
      });
      child.stdout?.on('data', stdout);
      child.stderr?.on('data', stderr);
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          reject(
            new BuilderError(
              'TOOL_MISSING',
              'running a command: unshare is not installed (Debian util-linux)',
            ),
          );
        } else if (error.name === 'AbortError') {
          reject(new BuilderError('EXECUTOR_FAILED', 'running a command: aborted', { cause: error }));
        } else
          reject(
            new BuilderError('EXECUTOR_FAILED', `running a command: ${error.message}`, { cause: error }),
          );
      });
      child.on('close', (code, signal) => {
        if (!setup.endsWith('ok\n')) {
          reject(
            new BuilderError(
              'EXECUTOR_FAILED',
              `preparing the RUN namespace: ${setup.trim() || `setup exited with ${code ?? signal}`}`,
            ),
          );
          return;
        }
        if (code !== null) resolve(code);
        else resolve(128 + (constants.signals[signal as keyof typeof constants.signals] ?? 9));
      });
    });
  }
}

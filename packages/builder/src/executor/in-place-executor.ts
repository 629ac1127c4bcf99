import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import { BuilderError } from '../builder-error.js';
import type { Executor, OutputSink, RunOptions } from './executor.js';
import { emulateMounts } from './in-place-mounts.js';

/** How the RUN helper (a Node process that switches user, then `execve`s the command) is started. */
export interface HelperRuntime {
  /** argv prefix that starts Node: `[loader, '--library-path', dir, node]` or `[node]`. */
  command: string[];
}

export interface InPlaceExecutorOptions {
  runtime: HelperRuntime;
  /** Scratch directory (inside an ignored path) for moved-aside mount targets. */
  scratch: string;
  /** Told when something cannot be done as asked here (emulated mounts, `--network=none`). */
  onWarning?: (message: string) => void;
}

/**
 * Saves private copies of the shared libraries (and the dynamic loader) this Node process has
 * mapped, so that Node can still be started after an in-place build has replaced or deleted the
 * container's own `/lib` (stage cleanup, a base image with another libc). Each library is stored
 * under its file name and its `lib….so.N` soname.
 */
export async function saveHelperRuntime(dir: string, execPath: string): Promise<HelperRuntime> {
  const maps = await readFile('/proc/self/maps', 'utf8').catch(() => '');
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /\.so(\.|$)/.test(path)) libs.add(path);
  }
  let loader: string | undefined;
  if (libs.size === 0) return { command: [execPath] };
  const libDir = join(dir, 'lib');
  await mkdir(libDir, { recursive: true });
  for (const lib of libs) {
    const name = basename(lib);
    await copyFile(lib, join(libDir, name));
    const soname = /^(.*\.so\.\d+)\./.exec(name)?.[1];
    if (soname) await symlink(name, join(libDir, soname)).catch(() => undefined);
    if (/^ld-(linux|musl)/.test(name)) loader = join(libDir, name);
  }
  return loader ? { command: [loader, '--library-path', libDir, execPath] } : { command: [execPath] };
}

/**
 * The helper: reads the run spec from fd 3, changes directory (as root first, like runc, then as the
 * user), sets supplementary groups, gid and uid (libuv's own uid/gid switch clears supplementary
 * groups), looks the command up in the RUN's
 * PATH, then replaces itself with it (`process.execve`: same pid, same process group) with every
 * signal at its default disposition.
 */
const HELPER = `
const fs = require('node:fs');
const s = JSON.parse(fs.readFileSync(3, 'utf8'));
fs.closeSync(3);
const fail = (code, m) => { fs.writeSync(2, m + '\\n'); process.exit(code); };
let inCwd = false;
try { process.chdir(s.cwd); inCwd = true; } catch {}
try { process.setgroups(s.groups); process.setgid(s.gid); process.setuid(s.uid); }
catch (e) { fail(126, 'switching to ' + s.uid + ':' + s.gid + ': ' + e.message); }
if (!inCwd) try { process.chdir(s.cwd); } catch (e) { fail(126, 'changing to ' + s.cwd + ': ' + e.message); }
let file = s.argv[0];
if (!file.includes('/')) {
  const path = (s.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const found = path.map((d) => (d || '.') + '/' + file).find((p) => {
    try { fs.accessSync(p, fs.constants.X_OK); return fs.statSync(p).isFile(); } catch { return false; }
  });
  if (!found) fail(127, file + ': executable file not found in $PATH');
  file = found;
}
// node ignores SIGPIPE and SIGXFSZ, and ignored signals survive execve (then \`yes | head\` never
// ends); a handled signal is reset to its default by execve
process.on('SIGPIPE', () => {});
process.on('SIGXFSZ', () => {});
try { process.execve(file, s.argv, s.env); }
catch (e) { fail(e.code === 'ENOENT' ? 127 : 126, 'exec ' + file + ': ' + e.message); }
`;

function sinkOf(out: OutputSink | undefined): (chunk: Buffer) => void {
  if (out === undefined) return () => undefined;
  if (typeof out === 'function') return out;
  return (chunk) => {
    (out as Writable).write(chunk);
  };
}

function envRecord(env: RunOptions['env']): Record<string, string> {
  if (!Array.isArray(env)) return { ...env };
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq <= 0)
      throw new BuilderError('EXECUTOR_FAILED', `running a command: bad environment entry "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * Kaniko mode: RUN executes directly in the container's own root, with no namespace, chroot or
 * mount (all forbidden in unprivileged job containers). The command gets exactly its environment,
 * user, groups and working directory (created when missing); `RUN --mount` is emulated by copying
 * (see `emulateMounts`) and said so; `--network=none` cannot be honoured and is warned about. The
 * command runs in its own process group, killed when the command exits, so background processes
 * neither hang nor outlive the RUN (a process that starts its own session escapes, as in kaniko).
 */
export class InPlaceExecutor implements Executor {
  readonly kind = 'in-place';

  constructor(private readonly opts: InPlaceExecutorOptions) {}

  async run(run: RunOptions): Promise<number> {
    if (run.root !== '/')
      throw new BuilderError('EXECUTOR_FAILED', `running in place: the root must be /, not ${run.root}`);
    if (run.argv.length === 0) throw new BuilderError('EXECUTOR_FAILED', 'running a command: empty argv');
    const env = envRecord(run.env);
    const warn = this.opts.onWarning ?? (() => undefined);
    if (run.network === 'none')
      warn(
        'RUN --network=none cannot be honoured in place (no network namespace): the command has the network',
      );
    for (const m of run.mounts ?? []) {
      if (m.target.startsWith('/.kaniko-ts-heredoc/')) continue;
      warn(
        `RUN --mount=type=${m.type} at ${m.target} is emulated in place (no mount syscall here): ${
          m.type === 'cache'
            ? 'the cache is moved in and out'
            : m.type === 'tmpfs'
              ? 'an empty directory'
              : 'a copy'
        }, removed before the snapshot`,
      );
    }
    if (!(await stat(run.cwd).catch(() => undefined))) await mkdir(run.cwd, { recursive: true, mode: 0o755 });
    const teardown = await emulateMounts(run.mounts ?? [], this.opts.scratch);
    let code: number;
    try {
      code = await this.spawn(run, env);
    } finally {
      await teardown();
    }
    return code;
  }

  private spawn(run: RunOptions, env: Record<string, string>): Promise<number> {
    const [command, ...prefix] = this.opts.runtime.command as [string, ...string[]];
    const spec = JSON.stringify({
      argv: run.argv,
      env,
      cwd: run.cwd,
      uid: run.user.uid,
      gid: run.user.gid,
      groups: run.user.groups ?? [run.user.gid],
    });
    const stdout = sinkOf(run.stdout);
    const stderr = sinkOf(run.stderr);
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...prefix, '--no-warnings', '-e', HELPER], {
        env: {},
        cwd: '/',
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      };
      const onAbort = () => killGroup();
      run.signal?.addEventListener('abort', onAbort, { once: true });
      const specPipe = child.stdio[3] as Writable;
      specPipe.on('error', () => undefined);
      specPipe.end(spec);
      child.stdout?.on('data', stdout);
      child.stderr?.on('data', stderr);
      let exit: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        run.signal?.removeEventListener('abort', onAbort);
        if (run.signal?.aborted) {
          reject(new BuilderError('EXECUTOR_FAILED', 'running a command: aborted'));
          return;
        }
        resolve(exit ?? 137);
      };
      child.on('error', (error) => {
        run.signal?.removeEventListener('abort', onAbort);
        reject(
          new BuilderError('EXECUTOR_FAILED', `running a command in place: ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.on('exit', (code, signal) => {
        exit =
          code ?? 128 + (constants.signals[(signal ?? 'SIGKILL') as keyof typeof constants.signals] ?? 9);
        // background processes of the RUN die with it; then the output pipes close
        killGroup();
        // a process in a session of its own may still hold the pipes: do not wait for it forever
        timer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, 5_000);
      });
      child.on('close', finish);
    });
  }
}

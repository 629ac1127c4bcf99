import { spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunCommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** Kill the whole process group after this many milliseconds (default: none). */
  timeoutMs?: number;
  /** Print the child's output to this process's stdout/stderr while it runs. */
  inherit?: boolean;
}

/**
 * Runs a command without a shell and collects its output. The child gets its own process group, so a
 * timeout kills everything it started. Never throws on a non-zero exit: callers look at `exitCode`.
 */
export function runCommand(file: string, args: readonly string[], opts: RunCommandOptions = {}) {
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      if (opts.inherit) process.stdout.write(b);
    });
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      if (opts.inherit) process.stderr.write(b);
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => killGroup(child.pid, 'SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`running ${file}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1),
      });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like `runCommand`, but throws with the command line and its stderr when the exit code is not 0. */
export async function runChecked(file: string, args: readonly string[], opts: RunCommandOptions = {}) {
  const r = await runCommand(file, args, opts);
  if (r.exitCode !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} exited with ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(-2000)}`,
    );
  }
  return r;
}

/** Sends a signal to a whole process group (negative pid); ignores groups that are already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };
  return table[signal] ?? 0;
}

import { accessSync, constants, type Stats, statSync } from 'node:fs';
import { flushCompileCache } from 'node:module';

/** What `exitWithoutTeardown` reads of the process; bin.ts passes the real one, tests their own. */
export interface ExitSurroundings {
  execArgv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: { readonly writableLength: number };
  stderr: { readonly writableLength: number };
  /** `process.execve` (node ≥ 22.15 / 23.11 on POSIX). */
  execve: ((file: string, args: readonly string[], env: Record<string, string>) => never) | undefined;
  /** True when `file` is a regular file this process may execute, the same file as at start-up. */
  executable: (file: string) => boolean;
  /** `module.flushCompileCache`: what node would write to the compile cache as it exits. */
  flushCompileCache: () => void;
}

/** Exits with status 0 and does nothing else. */
export const TRUE_PROGRAM = '/bin/true';

/**
 * Ends a successful run now, by replacing the process with `/bin/true`, instead of letting node tear
 * itself down. That teardown waits for V8's background compile jobs and frees the heap: 20–45 ms of
 * a warm build's ~200 (measured with strace: the main thread waited 17 ms on one compile thread,
 * then the kernel took 8 ms to free the address space), where the kernel alone ends the replaced
 * process in about 5. Everything the command does is finished when bin.ts calls this: outputs
 * written, temp dirs removed, child processes waited for.
 *
 * Returns false, and the caller lets node exit as usual, when any of these holds:
 * - the status is not 0 (`/bin/true` cannot carry another one, and failures are not the hot path);
 * - node runs with flags or NODE_OPTIONS, or NODE_V8_COVERAGE is set: profiles, coverage and
 *   diagnostic reports are written in the teardown;
 * - stdout or stderr still holds data a full pipe has not taken: it would be lost with the process;
 * - `process.execve` is missing, or `/bin/true` is not an executable file (distroless images):
 *   node aborts the process when the exec itself fails, so it is only tried where it cannot;
 * - `/bin/true` is not the file it was when the process started: an in-place build rewrites the
 *   container's own `/`, and what is there now comes from the image just built (maybe for another
 *   architecture, which the exec would fail on).
 */
export function exitWithoutTeardown(code: number, s: ExitSurroundings): boolean {
  if (code !== 0 || s.execve === undefined) return false;
  if (s.execArgv.length > 0 || s.env.NODE_OPTIONS || s.env.NODE_V8_COVERAGE) return false;
  if (s.stdout.writableLength > 0 || s.stderr.writableLength > 0) return false;
  if (!s.executable(TRUE_PROGRAM)) return false;
  s.flushCompileCache();
  s.execve(TRUE_PROGRAM, [TRUE_PROGRAM], {});
  return true;
}

/** Identity of a file: what says it is the same file later. */
export type FileIdentity = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

/** `file`'s identity when it is a regular file this process may execute (access(2) says no on noexec mounts). */
export function executableIdentity(file: string): FileIdentity | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    accessSync(file, constants.X_OK);
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** True when `file` is still executable and the same file as `before` (taken at start-up). */
export function unchangedExecutable(file: string, before: FileIdentity | undefined): boolean {
  const now = executableIdentity(file);
  return (
    before !== undefined &&
    now !== undefined &&
    now.dev === before.dev &&
    now.ino === before.ino &&
    now.size === before.size &&
    now.mtimeMs === before.mtimeMs
  );
}

/**
 * The running process as `exitWithoutTeardown` sees it; `atStart` is `/bin/true`'s identity taken
 * when the process started (`executableIdentity(TRUE_PROGRAM)`).
 */
export function processSurroundings(
  env: Readonly<Record<string, string | undefined>>,
  atStart: FileIdentity | undefined,
): ExitSurroundings {
  return {
    execArgv: process.execArgv,
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    execve: process.platform === 'linux' ? process.execve?.bind(process) : undefined,
    executable: (file) => unchangedExecutable(file, atStart),
    flushCompileCache: () => flushCompileCache?.(),
  };
}

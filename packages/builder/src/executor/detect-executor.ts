import { execFile } from 'node:child_process';
import { BuilderError } from '../builder-error.js';
import { ChrootExecutor, type ChrootExecutorOptions } from './chroot-executor.js';

export interface DetectExecutorOptions extends Omit<ChrootExecutorOptions, 'mode'> {
  /** The effective uid; default: the current process's. */
  uid?: number;
}

export interface DetectedExecutor {
  executor: ChrootExecutor;
  /** Why this one was chosen, for the build log. */
  reason: string;
}

/** What to grant a non-root builder, when it has neither root nor user namespaces. */
export const GRANT =
  'Grant one of: passwordless sudo for this user (as GitHub-hosted runners have; the build action then runs only the build engine as root through `sudo -n`), e.g. a file /etc/sudoers.d/kaniko-ts with `<user> ALL=(root) NOPASSWD: ALL`; or run the job as root (a container job with `options: --user 0`, or a GitLab job in the executor image); or allow unprivileged user namespaces (`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 24.04, `user.max_user_namespaces` > 0), which lets RUN work as root only.';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function probe(args: string[], path: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('unshare', args, { env: { PATH: path }, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) resolve(null);
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        resolve('unshare is not installed (Debian util-linux)');
      else resolve(stderr.trim() || error.message);
    });
  });
}

function hasTool(tool: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: path } }, (error) => resolve(!error));
  });
}

/**
 * Picks how RUN executes here: the chroot executor with real namespaces as root, or inside an
 * unprivileged user namespace (RUN as root only); otherwise a clear EXECUTOR_UNAVAILABLE error.
 */
export async function detectExecutor(opts: DetectExecutorOptions = {}): Promise<DetectedExecutor> {
  const path = opts.toolPath ?? HOST_PATH;
  const missing: string[] = [];
  for (const tool of ['unshare', 'setpriv', 'mount', 'env'])
    if (!(await hasTool(tool, path))) missing.push(tool);
  if (missing.length) {
    throw new BuilderError(
      'TOOL_MISSING',
      `choosing a RUN executor: ${missing.join(', ')} not found (install Debian packages util-linux, mount, coreutils)`,
    );
  }
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const nsArgs = ['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', 'true'];
  if (uid === 0) {
    const failure = await probe(nsArgs, path);
    if (failure === null) {
      return {
        executor: new ChrootExecutor({ ...opts, mode: 'root' }),
        reason: 'chroot executor: root, mount+pid namespaces',
      };
    }
    throw new BuilderError(
      'EXECUTOR_UNAVAILABLE',
      `choosing a RUN executor: running as root but namespaces fail: ${failure}`,
    );
  }
  const failure = await probe(['--user', '--map-root-user', ...nsArgs], path);
  if (failure === null) {
    return {
      executor: new ChrootExecutor({ ...opts, mode: 'userns' }),
      reason: `chroot executor: unprivileged user namespace (uid ${uid} mapped to root; RUN as root only)`,
    };
  }
  throw new BuilderError(
    'EXECUTOR_UNAVAILABLE',
    `choosing a RUN executor: RUN needs root or unprivileged user namespaces, and neither works here (uid ${uid}: ${failure}). ${GRANT}`,
  );
}

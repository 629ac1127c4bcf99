import { join } from 'node:path';
import { BuilderError } from '../builder-error.js';
import { detectExecutor } from './detect-executor.js';
import type { Executor } from './executor.js';
import { containerEvidence } from './in-place-container.js';
import { InPlaceExecutor, saveHelperRuntime } from './in-place-executor.js';

export type ExecutorChoice = 'auto' | 'chroot' | 'in-place';

export interface SelectExecutorOptions {
  /** Default `auto`: the chroot executor where namespaces work, else in place when in a container. */
  choice?: ExecutorChoice;
  /** Build in place even where nothing says this is a container (kaniko's `--force`). */
  force?: boolean;
  /** The caller's environment (container markers). */
  env: Readonly<Record<string, string | undefined>>;
  /** Scratch directory of the in-place executor (inside an ignored path). */
  scratch: string;
  /** Warnings of the in-place executor (emulated mounts, network). */
  onWarning?: (message: string) => void;
  /** Where container markers are looked for (tests); default `/`. */
  markerRoot?: string;
  /** The effective uid; default the process's. Building in place needs root. */
  uid?: number;
  /** How the chroot executor is probed (tests); default `detectExecutor()`. */
  detectChroot?: () => Promise<{ executor: Executor; reason: string }>;
}

export interface SelectedExecutor {
  executor: Executor;
  kind: 'chroot' | 'in-place';
  /** Why, for the build log. */
  reason: string;
}

const NO_CONTAINER =
  'nothing says this is a container (no /.dockerenv, /run/.containerenv, $container, $KUBERNETES_SERVICE_HOST or container cgroup)';

/**
 * Picks the RUN executor and says why. `auto` prefers the chroot executor (namespaces, a scratch root
 * per stage); where namespaces are forbidden (unprivileged job containers) it builds in place, but
 * only inside a container, or with `force`: in place, the build deletes and replaces the files of `/`.
 */
export async function selectExecutor(opts: SelectExecutorOptions): Promise<SelectedExecutor> {
  const choice = opts.choice ?? 'auto';
  const detect = opts.detectChroot ?? (() => detectExecutor());
  if (choice === 'chroot') {
    const d = await detect();
    return { executor: d.executor, kind: 'chroot', reason: d.reason };
  }
  let why = 'requested (--executor=in-place)';
  if (choice === 'auto') {
    try {
      const d = await detect();
      return { executor: d.executor, kind: 'chroot', reason: d.reason };
    } catch (error) {
      if (!(error instanceof BuilderError) || !['EXECUTOR_UNAVAILABLE', 'TOOL_MISSING'].includes(error.code))
        throw error;
      why = `the chroot executor is unavailable: ${error.message}`;
    }
  }
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  if (uid !== 0) {
    throw new BuilderError(
      'EXECUTOR_UNAVAILABLE',
      `choosing a RUN executor: ${why}; building in place needs root (running as uid ${uid}): run the builder as root in its container`,
    );
  }
  const evidence = await containerEvidence({
    env: opts.env,
    ...(opts.markerRoot ? { root: opts.markerRoot } : {}),
  });
  if (!evidence && !opts.force) {
    throw new BuilderError(
      'EXECUTOR_UNAVAILABLE',
      `choosing a RUN executor: ${why}; building in place (kaniko mode) replaces this machine's root file system and ${NO_CONTAINER}. ` +
        'Grant the builder CAP_SYS_ADMIN (or unprivileged user namespaces) for the chroot executor, run it in a disposable container, or pass --force to build in place anyway',
    );
  }
  const runtime = await saveHelperRuntime(join(opts.scratch, 'node-runtime'), process.execPath);
  const executor = new InPlaceExecutor({
    runtime,
    scratch: opts.scratch,
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });
  const where = evidence ? `in a container (${evidence})` : 'outside a container, forced (--force)';
  return { executor, kind: 'in-place', reason: `in-place executor (kaniko mode): ${why}; ${where}` };
}

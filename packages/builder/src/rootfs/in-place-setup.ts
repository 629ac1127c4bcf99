import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Executor } from '../executor/executor.js';
import { type ExecutorChoice, selectExecutor } from '../executor/in-place-select.js';
import { inPlaceIgnoredPaths } from '../snapshot/ignore-list.js';
import { extractLayer } from './extract-layer.js';
import { InPlaceRoot } from './in-place-root.js';

export interface ExecutionSetupOptions {
  executor?: ExecutorChoice;
  force?: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** The build's scratch directory (kept out of the in-place root's reach). */
  workDir: string;
  /** Paths the build reads or writes outside the root: context, cache dir, secrets, outputs. */
  keep: readonly (string | undefined)[];
  /** `--ignore-path` entries. */
  ignorePaths?: readonly string[];
  /** Where the executor lives (default: the directory of the running bundle, and the node binary). */
  executorDir?: string;
  onInfo?: (message: string) => void;
}

export interface ExecutionSetup {
  executor: Executor;
  reason: string;
  /** Set when building in place: the root every stage is built in, and its ignore list. */
  inPlace?: InPlaceRoot;
  /** The in-place ignore list (absolute), for the log. */
  ignored?: string[];
}

/** The running bundle's directory and the node binary: never cleaned, never overwritten. */
function ownPaths(executorDir: string | undefined): string[] {
  const node = (() => {
    try {
      return realpathSync(process.execPath);
    } catch {
      return process.execPath;
    }
  })();
  return [executorDir ?? dirname(fileURLToPath(import.meta.url)), node];
}

/**
 * Chooses the executor (see `selectExecutor`); for an in-place build also reads the mount table and
 * builds the ignore list and the `InPlaceRoot` the engine builds every stage in.
 */
export async function setupExecution(opts: ExecutionSetupOptions): Promise<ExecutionSetup> {
  const scratch = join(opts.workDir, 'in-place');
  const selected = await selectExecutor({
    choice: opts.executor ?? 'auto',
    force: opts.force === true,
    env: opts.env,
    scratch,
    // `warning: ` makes callers show it as a warning (emulated mounts, --network=none)
    ...(opts.onInfo ? { onWarning: (m: string) => opts.onInfo?.(`warning: ${m}`) } : {}),
  });
  if (selected.kind !== 'in-place') return { executor: selected.executor, reason: selected.reason };
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const ignored = inPlaceIgnoredPaths({
    mountInfo,
    executorDirs: ownPaths(opts.executorDir),
    workDir: resolve(opts.workDir),
    extra: [
      ...opts.keep.filter((p): p is string => typeof p === 'string' && p !== '').map((p) => resolve(p)),
      ...(opts.ignorePaths ?? []),
    ],
  });
  const inPlace = new InPlaceRoot({
    ignored,
    stagesDir: join(scratch, 'stages'),
    extract: (dir, tar, ignore) => extractLayer(dir, tar, ignore ? { ignore } : {}).then(() => undefined),
    ...(opts.onInfo ? { onInfo: opts.onInfo } : {}),
  });
  opts.onInfo?.(`in-place ignore list: ${ignored.join(' ')}`);
  return { executor: selected.executor, reason: selected.reason, inPlace, ignored };
}

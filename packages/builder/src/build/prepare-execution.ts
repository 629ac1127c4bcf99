import { join } from 'node:path';
import type { BuildOptions } from '../build.js';
import { BuilderError } from '../builder-error.js';
import type { EngineParts } from '../engine/build-image.js';
import { type ExecutionSetup, type ExecutionSetupOptions, setupExecution } from '../rootfs/in-place-setup.js';
import { describeXattrSupport } from '../rootfs/xattrs.js';
import { type DetectedSnapshotter, detectSnapshotter } from '../snapshot/detect-snapshotter.js';
import { DEFAULT_IGNORED_PATHS, ignoreMatcher } from '../snapshot/ignore-list.js';
import { OverlaySnapshotter } from '../snapshot/overlay-snapshotter.js';
import type { Snapshotter } from '../snapshot/snapshotter.js';
import { StatWalkSnapshotter } from '../snapshot/stat-walk-snapshotter.js';

/** The chosen executor and snapshotter, and how to make more snapshotters of the same kind. */
export interface PreparedExecution {
  executor: ExecutionSetup;
  snapshotter: Snapshotter;
  create: () => Snapshotter;
}

/** The executor probe (`setupExecution`); tests pass their own to `buildWith`. */
export type ExecutorProbe = (opts: ExecutionSetupOptions) => Promise<ExecutionSetup>;

/** Chooses the executor and snapshotter (the probes), logs the choice, and checks what was asked for. */
export async function prepareExecution(
  opts: BuildOptions,
  workDir: string,
  probe: ExecutorProbe = setupExecution,
): Promise<PreparedExecution> {
  // --ignore-path applies to every snapshotter
  const defaultIgnore = ignoreMatcher([...DEFAULT_IGNORED_PATHS, ...(opts.ignorePaths ?? [])]);
  // the three probes run at once (each is a spawn or a mount or two): the overlay probe is started
  // before the executor is known and its answer dropped if the build turns out to run in place
  const xattrSupport = describeXattrSupport();
  const overlayProbe =
    opts.snapshotter === 'stat-walk' || opts.executor === 'in-place'
      ? undefined
      : detectSnapshotter({
          stateDir: join(workDir, 'snapshots'),
          mode: opts.snapshotMode,
          ignore: defaultIgnore,
        });
  // (awaited below; marked handled so a rejection while the executor probe runs is not unhandled)
  xattrSupport.catch(() => undefined);
  overlayProbe?.catch(() => undefined);
  const executor = await probe({
    executor: opts.executor,
    force: opts.force,
    env: opts.env ?? {},
    workDir,
    keep: [
      opts.context,
      opts.cacheDir,
      opts.tarPath,
      opts.ociLayoutPath,
      opts.digestFile,
      opts.imageNameWithDigestFile,
      opts.imageNameTagWithDigestFile,
      ...Object.values(opts.secrets ?? {}).map((s) => ('file' in s ? s.file : undefined)),
      ...(opts.keepPaths ?? []),
    ],
    ignorePaths: opts.ignorePaths,
    executorDir: opts.executorDir,
    onInfo: (m) => opts.events?.info?.(m),
  }).catch(async (error: unknown) => {
    await Promise.allSettled([overlayProbe, xattrSupport]);
    throw error;
  });
  // in place, the whole in-place ignore list applies to the stat walk
  const ignore = executor.inPlace?.ignore ?? defaultIgnore;
  const overlay = await overlayProbe;
  const snapshotter: DetectedSnapshotter =
    overlay === undefined || executor.inPlace
      ? {
          snapshotter: new StatWalkSnapshotter({ mode: opts.snapshotMode, ignore }),
          reason: executor.inPlace
            ? 'stat-walk snapshots of / (in place: no overlay mounts)'
            : 'stat-walk snapshots: requested',
        }
      : overlay;
  if (opts.snapshotter === 'overlay' && snapshotter.snapshotter.kind !== 'overlay') {
    throw new BuilderError(
      'OVERLAY_UNAVAILABLE',
      `overlay snapshots were requested but are not available: ${snapshotter.reason}`,
    );
  }
  opts.events?.info?.(`executor: ${executor.reason}; ${snapshotter.reason}`);
  const xattrs = await xattrSupport;
  if (xattrs.kind !== 'native') opts.events?.info?.(`warning: ${xattrs.message}`);
  if ((opts.snapshotMode ?? 'full') !== 'full' && snapshotter.snapshotter.kind === 'overlay')
    opts.events?.info?.(
      `warning: --snapshot-mode=${opts.snapshotMode} does not apply: overlay snapshots take the upper directory as the change`,
    );
  const kind = snapshotter.snapshotter.kind;
  return {
    executor,
    snapshotter: snapshotter.snapshotter,
    create: () =>
      kind === 'overlay'
        ? new OverlaySnapshotter({ stateDir: join(workDir, 'snapshots'), ignore })
        : new StatWalkSnapshotter({ mode: opts.snapshotMode, ignore }),
  };
}

/** The engine parts of a prepared execution: concurrent stages each get a snapshotter of the same kind. */
export function preparedParts(prepared: PreparedExecution): EngineParts {
  const inPlace = prepared.executor.inPlace;
  return {
    snapshotter: prepared.snapshotter,
    createSnapshotter: () => prepared.create(),
    ...(inPlace ? { inPlace } : {}),
  };
}

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { mountOverlay, OverlaySnapshotter, unmount } from './overlay-snapshotter.js';
import type { Snapshotter } from './snapshotter.js';
import { type SnapshotMode, StatWalkSnapshotter } from './stat-walk-snapshotter.js';

export interface DetectSnapshotterOptions {
  /** Scratch directory, on the same file system as the build roots. */
  stateDir: string;
  /** Paths never snapshotted (default: DEFAULT_IGNORED_PATHS). */
  ignore?: (rel: string) => boolean;
  /** The effective uid; default: the current process's. */
  uid?: number;
  /** `--snapshot-mode` for the stat walk (the overlay snapshotter does not compare files). */
  mode?: SnapshotMode;
}

export interface DetectedSnapshotter {
  snapshotter: Snapshotter;
  /** Why this one was chosen, for the build log. */
  reason: string;
}

/**
 * Picks the overlay snapshotter when an overlay can really be mounted here (probed with a throwaway
 * mount in `stateDir`), else the stat walk, saying why.
 */
export async function detectSnapshotter(opts: DetectSnapshotterOptions): Promise<DetectedSnapshotter> {
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const fallback = (why: string): DetectedSnapshotter => ({
    snapshotter: new StatWalkSnapshotter({ ignore: opts.ignore, mode: opts.mode }),
    reason: `stat-walk snapshots: ${why}`,
  });
  if (uid !== 0) {
    return fallback('overlay mounts need root in the builder mount namespace (running as uid ' + uid + ')');
  }
  await mkdir(opts.stateDir, { recursive: true });
  const probe = await mkdtemp(`${opts.stateDir}/overlay-probe-`);
  const dirs = ['lower', 'upper', 'work', 'merged'].map((d) => `${probe}/${d}`);
  const [lower, upper, work, merged] = dirs as [string, string, string, string];
  let mounted = false;
  try {
    for (const d of dirs) await mkdir(d);
    await writeFile(`${lower}/probe`, 'lower');
    await mountOverlay(lower, upper, work, merged);
    mounted = true;
    await writeFile(`${merged}/probe`, 'upper');
    await unmount(merged);
    mounted = false;
    if (
      (await readFile(`${upper}/probe`, 'utf8')) !== 'upper' ||
      (await readFile(`${lower}/probe`, 'utf8')) !== 'lower'
    ) {
      return fallback('overlay probe mounted but did not copy up as expected');
    }
    return {
      snapshotter: new OverlaySnapshotter({ stateDir: opts.stateDir, ignore: opts.ignore }),
      reason: 'overlay snapshots: overlayfs mounts work here',
    };
  } catch (error) {
    return fallback(`overlay probe failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (mounted) await unmount(merged).catch(() => undefined);
    await rm(probe, { recursive: true, force: true });
  }
}

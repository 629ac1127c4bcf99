import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Layer, uncompressedChunks } from '@kaniko-ts/oci';
import { cleanRelative } from './root-resolver.js';

/** The part of a stage's state the in-place root looks at. */
export interface InPlaceStage {
  plan: { index: number };
  layers: Layer[];
  rootfs?: string;
}

export interface InPlaceRootOptions {
  /** The build root: `/` in production, a directory in tests. */
  root?: string;
  /** Ignored paths (absolute, as inside the root): never deleted, never extracted over. */
  ignored: readonly string[];
  /** Where stages that were cleaned away are materialized again for `COPY --from` (an ignored dir). */
  stagesDir: string;
  /** Extracts a layer tar into a directory, honouring `ignore` where given. */
  /** Applies a layer tar (chunks each valid until the next: see `uncompressedChunks`). */
  extract(dir: string, tar: AsyncIterable<Buffer>, ignore?: (rel: string) => boolean): Promise<void>;
  onInfo?: (message: string) => void;
}

export interface CleanStats {
  removed: number;
  kept: number;
}

/**
 * The build root of an in-place (kaniko-mode) build. One stage at a time occupies the root: when
 * the next stage needs a file system, everything under the root that is not ignored is deleted
 * (ignored paths and their ancestors are kept, symlinks are removed, never followed, and nothing on
 * another device is touched), then the stage's layers are extracted over what is left, skipping
 * ignored paths. A stage that was cleaned away is extracted again from its layers into a directory
 * of its own when a later stage copies from it (`COPY --from`, `FROM`, bind mounts).
 */
export class InPlaceRoot {
  readonly root: string;
  private readonly ignoredRel: string[];
  private readonly ignoredSet: Set<string>;
  private current: InPlaceStage | undefined;
  private readonly materialized = new Map<InPlaceStage, { layers: number; dir: Promise<string> }>();
  private counter = 0;

  constructor(private readonly opts: InPlaceRootOptions) {
    this.root = opts.root ?? '/';
    this.ignoredRel = opts.ignored.map((p) => cleanRelative(p) ?? '').filter((p) => p !== '');
    this.ignoredSet = new Set(this.ignoredRel);
  }

  /** True for ignored paths and everything below them (root-relative, no leading slash). */
  readonly ignore = (rel: string): boolean => {
    if (this.ignoredSet.has(rel)) return true;
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1))
      if (this.ignoredSet.has(rel.slice(0, i))) return true;
    return false;
  };

  private hasIgnoredBelow(rel: string): boolean {
    const prefix = rel === '' ? '' : `${rel}/`;
    return this.ignoredRel.some((p) => p.startsWith(prefix));
  }

  /** Deletes everything in the root that is not ignored. */
  async clean(): Promise<CleanStats> {
    const stats: CleanStats = { removed: 0, kept: 0 };
    const rootDev = lstatSync(this.root).dev;
    const walk = async (rel: string): Promise<void> => {
      const abs = rel === '' ? this.root : join(this.root, rel);
      for (const name of readdirSync(abs)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        const childAbs = join(abs, name);
        if (this.ignore(child)) {
          stats.kept++;
          continue;
        }
        const st = lstatSync(childAbs);
        if (st.isDirectory() && st.dev !== rootDev) {
          // a mount point mountinfo did not list: never delete into it
          this.opts.onInfo?.(`in-place cleanup: ${child} is on another device, left alone`);
          stats.kept++;
          continue;
        }
        if (st.isDirectory() && this.hasIgnoredBelow(child)) {
          await walk(child);
          continue;
        }
        await rm(childAbs, { recursive: true, force: true });
        stats.removed++;
      }
    };
    await walk('');
    return stats;
  }

  /** The root, holding `stage` (cleaned and extracted when another stage was there). */
  async rootfs(stage: InPlaceStage): Promise<string> {
    if (this.current === stage) return this.root;
    const started = performance.now();
    const previous = this.current;
    if (previous) previous.rootfs = undefined;
    // `FROM <the stage in the root>`: the root already holds those layers; only add the new ones
    const continues =
      previous !== undefined &&
      previous.layers.length <= stage.layers.length &&
      previous.layers.every((l, i) => stage.layers[i] === l);
    const cleaned = continues ? { removed: 0, kept: 0 } : await this.clean();
    const layers = continues ? stage.layers.slice(previous.layers.length) : stage.layers;
    for (const layer of layers) await this.opts.extract(this.root, uncompressedChunks(layer), this.ignore);
    const how = continues
      ? `continues in ${this.root} from stage ${previous.plan.index}`
      : `extracted over ${this.root}`;
    this.opts.onInfo?.(
      `in-place root: stage ${stage.plan.index} ${how} (${cleaned.removed} paths removed, ${layers.length} layers, ${Math.round(performance.now() - started)} ms)`,
    );
    this.current = stage;
    stage.rootfs = this.root;
    return this.root;
  }

  /** A directory holding `stage`'s files, for later stages that copy from it. */
  async stageRoot(stage: InPlaceStage): Promise<string> {
    const known = this.materialized.get(stage);
    if (known && known.layers === stage.layers.length) return known.dir;
    const dir = (async () => {
      const d = join(this.opts.stagesDir, `${stage.plan.index}-${this.counter++}`);
      await mkdir(d, { recursive: true });
      for (const layer of stage.layers) await this.opts.extract(d, uncompressedChunks(layer));
      return d;
    })();
    this.materialized.set(stage, { layers: stage.layers.length, dir });
    return dir;
  }
}

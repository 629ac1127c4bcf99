import { lstat, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { BuildPlan, PlannedInstruction, PlannedStage } from '@kaniko-ts/dockerfile';
import type { Layer } from '@kaniko-ts/oci';
import {
  createGzipPool,
  formatPlatform,
  type GzipPool,
  type Image,
  type ImageConfig,
  parsePlatform,
  uncompressedChunks,
} from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import { CacheSession } from '../cache/cache-session.js';
import type { CopySource } from '../dispatch/copy.js';
import { extractLayer } from '../rootfs/extract-layer.js';
import { RootResolver } from '../rootfs/root-resolver.js';
import { withAncestors, writeLayer } from '../snapshot/layer-writer.js';
import { assembleImage } from './assemble-image.js';
import type { BuildEvents, BuildRequest, BuildResult, InstructionTiming } from './build-request.js';
import { copyTree } from './copy-tree.js';
import type { EngineParts } from './engine-parts.js';
import { imageContentKey, withImageTime } from './image-times.js';
import { planWithBaseImages } from './plan-with-bases.js';
import { SnapshotRunner } from './snapshot-runner.js';
import { StageBuilder } from './stage-builder.js';
import { OrderedEvents, scheduleStages, stageDependencies } from './stage-schedule.js';
import type { RunSpec, StageServices } from './stage-services.js';
import { startStage } from './stage-start.js';
import type { StageState } from './stage-state.js';
import { streamLayer } from './stream-layer.js';

export type { EngineParts } from './engine-parts.js';

/**
 * Builds the image a Dockerfile describes: plans it, resolves base images (and plans again with their
 * configs, for ONBUILD and inherited ENV), then runs the stages the target needs in dependency order.
 * All state lives in this call; paths are under `req.workDir`.
 */
export async function buildImage(req: BuildRequest, parts: EngineParts): Promise<BuildResult> {
  const build = new Build(req, parts);
  try {
    return await build.run();
  } finally {
    await build.dispose();
  }
}

class Build implements StageServices {
  readonly tempDir: string;
  readonly fetch?: typeof fetch;
  private readonly stages = new Map<number, StageState>();
  private readonly images = new Map<string, Promise<Image>>();
  private readonly imageRoots = new Map<string, Promise<string>>();
  private readonly epoch: number | undefined;
  private plan!: BuildPlan;
  private rootCounter = 0;
  private clock: string | undefined;
  /** Root file systems being materialised or done, so concurrent users share one copy. */
  private readonly roots = new Map<StageState, Promise<string>>();
  /** RUNs between their snapshotter's prepare and snapshot. */
  private readonly runner: SnapshotRunner;
  /** Per-stage event listeners (ordered through `OrderedEvents`). */
  private readonly stageEvents = new Map<number, BuildEvents>();
  /** Stages whose layers end up in the image: the target and the stages it is built FROM. */
  private finalChain = new Set<number>();
  /** One block-parallel gzip pool for every layer of the build (closed by `dispose`). */
  private readonly gzipPool: GzipPool | undefined;

  constructor(
    private readonly req: BuildRequest,
    private readonly parts: EngineParts,
  ) {
    this.tempDir = join(req.workDir, 'tmp');
    this.fetch = req.fetch;
    this.epoch =
      req.reproducible === true
        ? 0
        : typeof req.reproducible === 'object'
          ? req.reproducible.epoch
          : undefined;
    this.gzipPool = (req.compression ?? 'gzip') === 'gzip' ? createGzipPool() : undefined;
    this.runner = new SnapshotRunner({
      parts,
      executor: req.executor,
      cacheRoot: req.cacheDir ?? join(req.workDir, 'cache'),
      tempDir: this.tempDir,
      secrets: req.secrets ?? {},
      source: (from) => this.copySource(from),
      events: (stage) => this.stageEvents.get(stage) ?? req.events,
      streamLayer: (write) => this.streamLayer(write),
      epoch: this.epoch,
    });
  }

  async dispose(): Promise<void> {
    const disposed = this.runner.dispose();
    await disposed.catch(() => undefined);
    await this.gzipPool?.close();
    await disposed;
  }

  async run(): Promise<BuildResult> {
    await mkdir(this.tempDir, { recursive: true });
    await mkdir(join(this.req.workDir, 'layers'), { recursive: true });
    const { plan, baseDigests } = await planWithBaseImages(this.req, (ref, p) => this.image(ref, p));
    this.plan = plan;
    for (const w of this.plan.warnings) this.req.events?.warning?.(w);
    for (let i: number | undefined = this.plan.target; i !== undefined; ) {
      this.finalChain.add(i);
      const base: PlannedStage['base'] | undefined = this.plan.stages[i]?.base;
      i = base?.kind === 'stage' ? base.index : undefined;
    }
    const cache = this.req.cache
      ? await CacheSession.open(
          this.req.cache,
          {
            plan: this.plan,
            platform: formatPlatform(this.req.platform),
            layerFormat: {
              compression: this.req.compression ?? 'gzip',
              epoch: this.epoch,
              ...(this.req.compressionLevel !== undefined ? { level: this.req.compressionLevel } : {}),
            },
            baseDigest: async (s) => (await this.image((s.base as { ref: string }).ref, s.platform)).digest(),
            imageDigest: async (ref) => (await this.image(ref)).digest(),
            context: this.req.context,
          },
          {
            onWarning: (m) => this.req.events?.info?.(m),
            imageSalt: JSON.stringify(this.req.labels ?? {}),
          },
        )
      : undefined;

    const perStage = await this.buildStages(cache);
    const timings = this.plan.order.flatMap((i) => perStage.get(i) ?? []);

    const cacheStats = await cache?.flush();
    if (cacheStats) this.req.events?.info?.(`cache: ${JSON.stringify(cacheStats)}`);
    const final = this.stages.get(this.plan.target) as StageState;
    const created = this.created();
    const config: ImageConfig = {
      ...final.config,
      created,
      config: {
        ...(final.config.config ?? {}),
        ...(this.req.labels
          ? { Labels: { ...(final.config.config?.Labels ?? {}), ...this.req.labels } }
          : {}),
      },
    };
    let image = await assembleImage(config, final.history, final.layers);
    if (cache && this.epoch === undefined) image = await this.stampedAsBefore(image, final, cache);
    return {
      image,
      plan: this.plan,
      built: [...this.plan.order],
      timings,
      warnings: this.plan.warnings,
      baseImages: baseDigests,
    };
  }

  /**
   * The image with the time it was first built, when the cache remembers an image of the same
   * content (`imageContentKey`): a rebuild with no change is the same image, digest included.
   * Otherwise the image as it is, and the cache remembers this build's time for its content.
   */
  private async stampedAsBefore(image: Image, final: StageState, cache: CacheSession): Promise<Image> {
    const config = await image.config();
    const clock = this.created();
    const key = imageContentKey(config, clock);
    const time = cache.imageTime(key);
    if (time === undefined) {
      cache.rememberImageTime(key, clock);
      await cache.flush();
      return image;
    }
    if (time === clock) return image;
    this.req.events?.info?.(`same content as the image built at ${time}: using that time`);
    const stamped = withImageTime(config, clock, time);
    return assembleImage(stamped, stamped.history ?? [], final.layers);
  }

  /**
   * Runs the stages of `plan.order`, each as soon as the stages it depends on are built, at most
   * `maxConcurrentStages` at once. Events pass through `OrderedEvents`, so listeners see the
   * sequential order whatever ran first; timings are returned per stage.
   */
  private async buildStages(cache: CacheSession | undefined): Promise<Map<number, InstructionTiming[]>> {
    const gate = new OrderedEvents(this.plan.order, this.req.events);
    const timings = new Map<number, InstructionTiming[]>();
    const deps = new Map(
      this.plan.order.map((i) => [i, stageDependencies(this.plan.stages[i] as PlannedStage)]),
    );
    await scheduleStages(
      this.plan.order,
      (i) => deps.get(i) ?? new Set(),
      this.req.maxConcurrentStages ?? 2,
      async (index) => {
        const { state, timings: t } = await this.buildStage(index, cache, gate.stage(index));
        timings.set(index, t);
        this.stages.set(index, state);
        gate.finished(index);
      },
    );
    return timings;
  }

  private async buildStage(
    index: number,
    cache: CacheSession | undefined,
    events: BuildEvents,
  ): Promise<{ state: StageState; timings: InstructionTiming[] }> {
    const stage = this.plan.stages[index] as PlannedStage;
    this.stageEvents.set(index, events);
    events.stage?.({
      index,
      name: stage.name,
      base: stage.baseText,
      instructions: stage.instructions.length,
    });
    const state = await startStage(stage, this.stages, (ref, p) => this.image(ref, p), this.req.platform);
    const sink = this.finalChain.has(index) ? this.req.layerSink : undefined;
    if (sink && stage.base.kind !== 'stage') for (const l of state.layers) sink.add(l);
    const builder = new StageBuilder(state, this);
    const timings: InstructionTiming[] = [];
    for (const [i, ins] of stage.instructions.entries()) {
      const line = ins.range.start.line;
      events.instructionStart?.({ stage: index, text: ins.original, line });
      const started = performance.now();
      const hit = cache?.lookup(index, i, ins);
      let layer: Layer | undefined;
      if (hit) layer = await builder.replay(ins, hit);
      else {
        await this.req.ready;
        ({ layer } = await builder.run(ins));
        const made = state.history.at(-1);
        cache?.store(index, i, ins, layer, {
          createdBy: made?.created_by ?? ins.original,
          ...(made?.comment !== undefined ? { comment: made.comment } : {}),
        });
      }
      if (layer && sink) sink.add(layer);
      const durationMs = performance.now() - started;
      timings.push({ stage: index, text: ins.original, line, durationMs, layer: !!layer });
      const d = layer?.descriptor();
      events.instructionEnd?.({
        stage: index,
        text: ins.original,
        line,
        durationMs,
        cached: hit !== undefined,
        ...(layer && d ? { layer: { diffId: await layer.diffId(), digest: d.digest, size: d.size } } : {}),
      });
      const failed = sink?.failure();
      if (failed !== undefined) throw failed;
    }
    return { state, timings };
  }

  private image(ref: string, platform?: string): Promise<Image> {
    const key = `${ref}|${platform ?? ''}`;
    let p = this.images.get(key);
    if (!p) {
      p = this.req.images.resolve(ref, platform ? parsePlatform(platform) : this.req.platform);
      this.images.set(key, p);
    }
    return p;
  }

  // ---- StageServices ----

  rootfs(state: StageState): Promise<string> {
    if (this.parts.inPlace) return this.parts.inPlace.rootfs(state);
    if (state.rootfs) return Promise.resolve(state.rootfs);
    let p = this.roots.get(state);
    if (!p) {
      p = this.materialise(state);
      this.roots.set(state, p);
    }
    return p;
  }

  private async materialise(state: StageState): Promise<string> {
    const dir = join(this.req.workDir, 'rootfs', `${state.plan.index}-${this.rootCounter++}`);
    await mkdir(dir, { recursive: true });
    const parent = state.parent;
    if (parent) {
      const from = await this.rootfs(parent);
      await copyTree(from, dir);
      for (const l of state.layers.slice(parent.layers.length))
        await this.extractTar(dir, uncompressedChunks(l));
    } else {
      for (const layer of state.layers) await this.extractTar(dir, uncompressedChunks(layer));
    }
    state.rootfs = dir;
    return dir;
  }

  async exists(root: string, path: string): Promise<boolean> {
    const r = await new RootResolver(root).resolve(path, { followFinal: true });
    return (await lstat(r.abs).catch(() => undefined)) !== undefined;
  }

  async copySource(from: string | undefined): Promise<CopySource> {
    if (from === undefined)
      return {
        root: this.req.context.root,
        kind: 'context',
        visible: (rel) => this.req.context.visible(rel),
      };
    const byName = this.plan.stages.find((s) => s.name === from.toLowerCase());
    const index = byName ? byName.index : /^\d+$/.test(from) ? Number(from) : undefined;
    if (index !== undefined) {
      const state = this.stages.get(index);
      if (!state)
        throw new BuilderError('STAGE_NOT_BUILT', `stage ${from} is not built before it is copied from`);
      // in place, the stage may have been cleaned away: its own copy, extracted from its layers
      const root = this.parts.inPlace ? this.parts.inPlace.stageRoot(state) : this.rootfs(state);
      return { root: await root, kind: 'stage' };
    }
    let root = this.imageRoots.get(from);
    if (!root) {
      root = (async () => {
        const image = await this.image(from);
        const dir = await mkdtemp(join(this.req.workDir, 'image-'));
        for (const layer of await image.layers()) await this.extractTar(dir, uncompressedChunks(layer));
        return dir;
      })();
      this.imageRoots.set(from, root);
    }
    return { root: await root, kind: 'image' };
  }

  runInSnapshot(state: StageState, root: string, spec: RunSpec): Promise<Layer | undefined> {
    return this.runner.run(state, root, spec);
  }

  async pathsLayer(root: string, paths: string[]) {
    if (paths.length === 0) return undefined;
    const items = paths.map((p) => {
      const rel = p.replace(/^\/+/, '');
      return { kind: 'entry' as const, rel, abs: join(root, rel) };
    });
    const { layer } = await this.streamLayer((sink) =>
      writeLayer(
        withAncestors(items, (rel) => join(root, rel)),
        sink,
        { mtimeEpoch: this.epoch },
      ),
    );
    return layer;
  }

  private streamLayer<T>(write: (sink: Writable) => Promise<T>): Promise<{ result: T; layer: Layer }> {
    return streamLayer(write, {
      compression: this.req.compression ?? 'gzip',
      ...(this.req.compressionLevel !== undefined ? { level: this.req.compressionLevel } : {}),
      ...(this.gzipPool ? { gzipPool: this.gzipPool } : {}),
      dir: join(this.req.workDir, 'layers'),
    });
  }

  /** (Bound: stage builders pass it on.) Extraction into the in-place root skips ignored paths. */
  readonly extractTar = async (dir: string, tar: AsyncIterable<Buffer>): Promise<void> => {
    const inPlace = this.parts.inPlace;
    await extractLayer(dir, tar, inPlace && dir === inPlace.root ? { ignore: inPlace.ignore } : {});
  };

  location(ins: PlannedInstruction): string {
    return `${this.req.dockerfile.path}:${ins.range.start.line}:${ins.range.start.column}`;
  }

  /**
   * The build's one timestamp (the first call's clock, or the `--reproducible` epoch): the config's
   * `created` and every history entry the build makes, so `stampedAsBefore` can tell them apart.
   */
  created(): string {
    this.clock ??= new Date(
      this.epoch !== undefined ? this.epoch * 1000 : (this.req.now?.() ?? new Date()).getTime(),
    ).toISOString();
    return this.clock;
  }
}

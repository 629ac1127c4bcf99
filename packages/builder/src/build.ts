import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuildPlan } from '@kaniko-ts/dockerfile';
import { type Compression, type Image, type Platform, parsePlatform } from '@kaniko-ts/oci';
import type { RegistryClient } from '@kaniko-ts/registry';
import { chooseLayerCache } from './build/choose-layer-cache.js';
import { ExecutionSetupOnce } from './build/execution-setup-once.js';
import { openContext, resolveDockerfile } from './build/open-context.js';
import { prefetchBaseImages } from './build/prefetch-bases.js';
import {
  type ExecutorProbe,
  type PreparedExecution,
  preparedParts,
  prepareExecution,
} from './build/prepare-execution.js';
import { RestartEvents } from './build/restart-events.js';
import { layerUploader, pushConfig, writeOutputs } from './build/write-outputs.js';
import { BuilderError } from './builder-error.js';
import { baseLayerCount, finishImage } from './engine/assemble-image.js';
import { buildImage } from './engine/build-image.js';
import type { BuildEvents, BuildResult, SecretSource } from './engine/build-request.js';
import { describeBuild } from './engine/describe-build.js';
import { removeTree, removeTreeAside } from './rootfs/remove-tree.js';
import type { SnapshotMode } from './snapshot/stat-walk-snapshotter.js';

/** Everything `kaniko-ts build` does, as one library call. */
export interface BuildOptions {
  /** Context directory, or a `.tar`/`.tar.gz` file. */
  context: string;
  /** Sub-directory of the context that is the real context root. */
  contextSubPath?: string;
  /** Dockerfile path, relative to the context unless absolute. Default `Dockerfile`. */
  dockerfile?: string;
  /** References to push to (each `repo:tag` or `repo`). */
  destinations: string[];
  /** False = `--no-push`. */
  push: boolean;
  /** docker-archive tarball to write. */
  tarPath?: string;
  /** OCI image layout directory to write (the image is tagged with each destination's tag). */
  ociLayoutPath?: string;
  buildArgs?: Record<string, string | undefined>;
  target?: string;
  labels?: Record<string, string>;
  /** `os/arch[/variant]`; default the host's linux platform. */
  platform?: string;
  reproducible?: boolean;
  compression?: Compression;
  /** `--compression-level`: gzip 1–9, zstd 1–22 (default: the algorithm's default). */
  compressionLevel?: number;
  /** Independent stages built at once (default 2; 1 = one after another). */
  maxConcurrentStages?: number;
  digestFile?: string;
  imageNameWithDigestFile?: string;
  imageNameTagWithDigestFile?: string;
  skipPushPermissionCheck?: boolean;
  /** Print the plan instead of building. */
  dryRun?: boolean;
  secrets?: Record<string, SecretSource>;
  /** `--cache`: reuse and store layers (RUN, COPY, ADD, WORKDIR) in a layer cache. */
  cache?: boolean;
  /** `--cache-repo`: a registry repository for the layer cache (default: `<first destination>/cache`). */
  cacheRepo?: string;
  /** `--cache-dir`: a local layer cache (used instead of a repository) and `RUN --mount=type=cache` directories. */
  cacheDir?: string;
  /** `--cache-ttl` in milliseconds (default two weeks, as kaniko). */
  cacheTtlMs?: number;
  /** `--no-push-cache`: use the layer cache read-only (hits are used, nothing new is stored). */
  noPushCache?: boolean;
  /** Registry client for base images and pushes (credentials, mirrors, TLS are configured there). */
  registry: RegistryClient;
  /** Scratch directory (default: a new temp dir, removed afterwards). */
  workDir?: string;
  events?: BuildEvents;
  /** Snapshotter choice; default automatic (overlay where it can mount, stat walk otherwise). */
  snapshotter?: 'auto' | 'overlay' | 'stat-walk';
  /**
   * RUN executor: `chroot` (namespaces, a scratch root per stage), `in-place` (kaniko mode: the
   * container's own `/` is the build root), or `auto` (default): chroot where namespaces work, else
   * in place when this is a container.
   */
  executor?: 'auto' | 'chroot' | 'in-place';
  /** `--force`: build in place even where nothing says this is a container. */
  force?: boolean;
  /** `--ignore-path`: never snapshotted; in place also never cleaned between stages nor extracted over. */
  ignorePaths?: string[];
  /** More paths an in-place build must leave alone (the caller's temp dir, credentials, workspace). */
  keepPaths?: string[];
  /** The executor's own directory, left alone by in-place builds (default: the running bundle's). */
  executorDir?: string;
  /** The caller's environment (container markers for in-place builds); never read from the process. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--snapshot-mode` of the stat-walk snapshotter (overlay snapshots do not compare files). */
  snapshotMode?: SnapshotMode;
  /** `--single-snapshot`: the target stage's layers squashed into one on top of its base image. */
  singleSnapshot?: boolean;
  /** `--image-format`: OCI (default) or Docker schema 2 media types. */
  imageFormat?: 'oci' | 'docker';
  /** `--annotation`: manifest annotations. */
  annotations?: Record<string, string>;
  now?: () => Date;
}

export interface BuildOutcome {
  image?: Image;
  digest?: string;
  configDigest?: string;
  platform: string;
  /** `repo@digest` for each pushed destination. */
  pushed: string[];
  size: number;
  /** Printed plan when `dryRun`. */
  plan?: string;
  warnings: { file: string; line: number; column?: number; rule: string; message: string }[];
  timings: { stage: number; text: string; line: number; durationMs: number; layer: boolean }[];
  baseImages: Record<string, string>;
  durationMs: number;
}

const hostPlatform = (): Platform => ({
  os: 'linux',
  architecture: process.arch === 'x64' ? 'amd64' : process.arch,
});

/** Builds, then writes every requested output. Destinations are checked for push permission first. */
export function build(opts: BuildOptions): Promise<BuildOutcome> {
  return buildWith(opts, {});
}

/** What `build()` takes from its surroundings; tests pass their own (not part of the package API). */
export interface BuildInternals {
  /** The executor probe (default `setupExecution`: namespaces, container markers, mount table). */
  probe?: ExecutorProbe;
}

/** `build()` with its surroundings given. */
export async function buildWith(opts: BuildOptions, internals: BuildInternals): Promise<BuildOutcome> {
  const started = performance.now();
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'kaniko-ts-')));
  let rootsRemoved: Promise<void> | undefined;
  try {
    const context = await openContext(opts, workDir);
    const contextRoot = context.root;
    const dockerfilePath = resolveDockerfile(opts.dockerfile, contextRoot);
    const text = await readFile(dockerfilePath, 'utf8').catch((cause) => {
      throw new BuilderError('CONTEXT_NOT_FOUND', `reading Dockerfile ${dockerfilePath}: ${cause.message}`, {
        cause,
      });
    });
    const buildArgs = Object.fromEntries(
      Object.entries(opts.buildArgs ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const fileName = opts.dockerfile ?? 'Dockerfile';

    if (opts.dryRun) {
      const plan = createBuildPlan(text, {
        file: fileName,
        buildArgs,
        target: opts.target,
        targetPlatform: fmt(platform),
      });
      const described = await describeBuild(plan, (ref) =>
        opts.registry.pullImage(ref, { platform }).then((i) => i.digest()),
      );
      return {
        platform: fmt(platform),
        pushed: [],
        size: 0,
        plan: described,
        warnings: [],
        timings: [],
        baseImages: {},
        durationMs: performance.now() - started,
      };
    }
    checkCompressionLevel(opts);
    // the push-permission check runs while the build plans, looks its cache up and replays hits; the
    // first step that has to run, the first upload and the push wait for it (a refusal fails the
    // build before anything runs)
    const permission =
      opts.push && !opts.skipPushPermissionCheck
        ? Promise.all(opts.destinations.map((d) => opts.registry.checkPushPermission(d)))
        : undefined;
    permission?.catch(() => undefined);
    // the base images' manifests and configs are fetched meanwhile, not after it (see prefetchBaseImages)
    const bases = prefetchBaseImages(
      text,
      { file: fileName, buildArgs, target: opts.target, platform },
      (ref, p) => opts.registry.pullImage(ref, { platform: p }),
    );
    // with a layer cache, the executor and snapshotter are probed (an `unshare` spawn, an overlay test
    // mount) only when a RUN has to run: a build whose every RUN is a cache hit never pays for them,
    // and neither does a Dockerfile without RUN. COPY/ADD misses need neither (a scratch root is
    // extracted without the executor).
    const lazy = (opts.cache === true || !bases.runs) && opts.executor !== 'in-place';
    const setup = new ExecutionSetupOnce(() => prepareExecution(opts, workDir, internals.probe));
    const eager = lazy ? undefined : await setup.get();
    // a restart in place does not show again the steps the lazy attempt showed (see RestartEvents)
    const events = new RestartEvents(opts.events);
    const attempt = async (
      prepared: PreparedExecution | undefined,
      dir = 'build',
      attemptEvents = opts.events,
    ): Promise<BuildResult> => {
      // the final image's layers are uploaded while the build goes on (see LayerUploader)
      const uploader =
        opts.push && opts.destinations.length > 0 && !opts.singleSnapshot
          ? layerUploader(opts, permission)
          : undefined;
      const inPlace = prepared?.executor.inPlace;
      const result = await buildImage(
        {
          dockerfile: { text, path: fileName },
          context,
          buildArgs,
          target: opts.target,
          labels: opts.labels,
          platform,
          images: { resolve: bases.resolve },
          executor: prepared ? prepared.executor.executor : setup.lazyExecutor(),
          workDir: join(workDir, dir),
          compression: opts.compression,
          ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {}),
          // in place, stages share the one root: strictly one after another
          ...(inPlace
            ? { maxConcurrentStages: 1 }
            : opts.maxConcurrentStages !== undefined
              ? { maxConcurrentStages: opts.maxConcurrentStages }
              : {}),
          ...(uploader ? { layerSink: uploader } : {}),
          reproducible: opts.reproducible,
          secrets: opts.secrets,
          cacheDir: opts.cacheDir,
          cache: chooseLayerCache(opts),
          events: attemptEvents,
          now: opts.now,
          ...(permission ? { ready: permission } : {}),
        },
        prepared ? preparedParts(prepared) : setup.lazyParts(),
      ).catch(async (error: unknown) => {
        await uploader?.cancel();
        throw error;
      });
      await permission;
      if (uploader) {
        // the image's config blob is pushed while the layers' uploads finish, not after them: the
        // final push then has only the manifest left (its config HEAD and PUT used to follow the layers)
        const config = pushConfig(
          opts,
          await finishImage(result.image, { format: opts.imageFormat, annotations: opts.annotations }),
        );
        config.catch(() => undefined);
        await uploader.settle();
        await config;
      }
      return result;
    };
    let result: BuildResult;
    let attemptDir = 'build';
    if (eager) result = await attempt(eager);
    else {
      try {
        result = await attempt(undefined, 'build', events.first());
      } catch (error) {
        // `auto` chose the in-place executor only once something had to run: nothing was built in `/`
        // yet (the lazy attempt stops at that point), so build again in place from the start
        const chosen = await setup.settled();
        if (!chosen?.executor.inPlace) throw error;
        opts.events?.info?.(
          'executor: restarting the build in place from the start (the executor is chosen at the first RUN that misses the cache); steps already shown are not shown again',
        );
        // the lazy attempt's extracted roots are not needed again (its layer files may still be
        // read by cache stores it started): the disk they take is free for `/`
        await removeTree(join(workDir, 'build', 'rootfs'));
        attemptDir = 'build-in-place';
        result = await attempt(chosen, attemptDir, events.restart());
      }
    }
    // the extracted roots are done with: removed on another core while the image is pushed (a
    // fully cached build extracted none)
    const roots = join(workDir, attemptDir, 'rootfs');
    if (ownWorkDir && existsSync(roots)) rootsRemoved = removeTreeAside(roots);
    const image = await finishImage(result.image, {
      format: opts.imageFormat,
      annotations: opts.annotations,
      ...(opts.singleSnapshot
        ? {
            squash: {
              keep: await baseLayerCount(result.plan, (ref, p) =>
                opts.registry.pullImage(ref, { platform: p ? parsePlatform(p) : platform }),
              ),
              workDir: join(workDir, 'squash'),
              compression: opts.compression,
              level: opts.compressionLevel,
            },
          }
        : {}),
    });
    const digest = await image.digest();
    const manifest = await image.manifest();
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    const pushed = await writeOutputs(opts, image, digest);
    return {
      image,
      digest,
      configDigest: manifest.config.digest,
      platform: fmt(platform),
      pushed,
      size,
      warnings: result.warnings.map((w) => ({
        file: fileName,
        line: w.line,
        column: w.column,
        rule: w.rule,
        message: w.message,
      })),
      timings: result.timings,
      baseImages: result.baseImages,
      durationMs: performance.now() - started,
    };
  } finally {
    await rootsRemoved;
    if (ownWorkDir) await removeTree(workDir);
  }
}

/** `--compression-level` fits the algorithm: gzip 1–9, zstd 1–22 (none takes no level). */
function checkCompressionLevel(opts: BuildOptions): void {
  const level = opts.compressionLevel;
  if (level === undefined) return;
  const compression = opts.compression ?? 'gzip';
  const max = compression === 'gzip' ? 9 : compression === 'zstd' ? 22 : 0;
  if (!Number.isInteger(level) || level < 1 || level > max)
    throw new BuilderError(
      'UNSUPPORTED',
      `checking --compression-level: ${level} is not a ${compression} level${max ? ` (1–${max})` : ''}`,
    );
}

const fmt = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

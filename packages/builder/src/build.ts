import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { createBuildPlan, createIgnoreMatcher } from '@kaniko-ts/dockerfile';
import {
  type Compression,
  type Image,
  type Platform,
  parsePlatform,
  writeDockerArchive,
  writeLayout,
} from '@kaniko-ts/oci';
import type { RegistryClient } from '@kaniko-ts/registry';
import { BuilderError } from './builder-error.js';
import {
  type LayerCache,
  LocalDirLayerCache,
  RegistryLayerCache,
  readOnlyLayerCache,
} from './cache/index.js';
import type { DirectoryContext } from './context/directory-context.js';
import { openDirectoryContext, openTarContext } from './context/tar-context.js';
import { baseLayerCount, finishImage } from './engine/assemble-image.js';
import { buildImage } from './engine/build-image.js';
import type { BuildEvents, BuildResult, SecretSource } from './engine/build-request.js';
import { describeBuild } from './engine/describe-build.js';
import { LayerUploader } from './engine/layer-uploader.js';
import type { Executor, RunOptions } from './executor/executor.js';
import { type ExecutionSetup, setupExecution } from './rootfs/in-place-setup.js';
import { describeXattrSupport } from './rootfs/xattrs.js';
import { type DetectedSnapshotter, detectSnapshotter } from './snapshot/detect-snapshotter.js';
import { DEFAULT_IGNORED_PATHS, ignoreMatcher } from './snapshot/ignore-list.js';
import type { LayerWriteOptions, SnapshotStats } from './snapshot/layer-writer.js';
import { OverlaySnapshotter } from './snapshot/overlay-snapshotter.js';
import type { Snapshotter } from './snapshot/snapshotter.js';
import { type SnapshotMode, StatWalkSnapshotter } from './snapshot/stat-walk-snapshotter.js';

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
export async function build(opts: BuildOptions): Promise<BuildOutcome> {
  const started = performance.now();
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'kaniko-ts-')));
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
    // the push-permission check runs while the executor and snapshotter are probed; awaited before building
    const permission =
      opts.push && !opts.skipPushPermissionCheck
        ? Promise.all(opts.destinations.map((d) => opts.registry.checkPushPermission(d)))
        : undefined;
    permission?.catch(() => undefined);
    // with a layer cache, the executor and snapshotter are probed (an `unshare` spawn, an overlay test
    // mount) only when a RUN has to run: a build whose every RUN is a cache hit never pays for them.
    // COPY/ADD misses need neither (a scratch root is extracted without the executor).
    const lazy = opts.cache === true && opts.executor !== 'in-place';
    const setup = new ExecutionSetupOnce(opts, workDir);
    const eager = lazy ? undefined : await setup.get();
    await permission;
    const attempt = async (prepared: PreparedExecution | undefined, dir = 'build'): Promise<BuildResult> => {
      // the final image's layers are uploaded while the build goes on (see LayerUploader)
      const uploader =
        opts.push && opts.destinations.length > 0 && !opts.singleSnapshot ? layerUploader(opts) : undefined;
      const inPlace = prepared?.executor.inPlace;
      const result = await buildImage(
        {
          dockerfile: { text, path: fileName },
          context,
          buildArgs,
          target: opts.target,
          labels: opts.labels,
          platform,
          images: { resolve: (ref, p) => opts.registry.pullImage(ref, { platform: p }) },
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
          cache: layerCache(opts),
          events: opts.events,
          now: opts.now,
        },
        prepared
          ? {
              snapshotter: prepared.snapshotter,
              // concurrent stages each get a snapshotter of the same kind
              createSnapshotter: () => prepared.create(),
              ...(inPlace ? { inPlace } : {}),
            }
          : {
              snapshotter: new LazySnapshotter(async () => (await setup.needChroot()).snapshotter),
              createSnapshotter: () => new LazySnapshotter(async () => (await setup.needChroot()).create()),
            },
      ).catch(async (error: unknown) => {
        await uploader?.cancel();
        throw error;
      });
      await uploader?.settle();
      return result;
    };
    let result: BuildResult;
    if (eager) result = await attempt(eager);
    else {
      try {
        result = await attempt(undefined);
      } catch (error) {
        // `auto` chose the in-place executor only once something had to run: nothing was built in `/`
        // yet (the lazy attempt stops at that point), so build again in place from the start
        const chosen = await setup.settled();
        if (!chosen?.executor.inPlace) throw error;
        result = await attempt(chosen, 'build-in-place');
      }
    }
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
    const pushed: string[] = [];
    if (opts.push) {
      for (const dest of opts.destinations) {
        await opts.registry.pushImage(dest, image, {
          onProgress: (p) => opts.events?.push?.({ destination: dest, ...p }),
        });
        pushed.push(`${repository(dest)}@${digest}`);
      }
    }
    if (opts.ociLayoutPath) {
      await writeLayout(opts.ociLayoutPath, image, { tag: tagOf(opts.destinations[0]) ?? 'latest' });
    }
    if (opts.tarPath)
      await writeDockerArchive(opts.tarPath, image, {
        tags: opts.destinations.length ? opts.destinations : ['image:latest'],
      });
    await writeDigestFiles(opts, digest);
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
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}

/** The chosen executor and snapshotter, and how to make more snapshotters of the same kind. */
interface PreparedExecution {
  executor: ExecutionSetup;
  snapshotter: Snapshotter;
  create: () => Snapshotter;
}

/** Not an error users see: the lazy attempt stops here when `auto` turned out to mean in place. */
const IN_PLACE_CHOSEN = 'executor chosen late: in place; the build restarts in place';

/**
 * Probes the executor and snapshotter once, on first need (logging the choice then), for the
 * concurrent stages of a build and any restart. Holds no state beyond the one build.
 */
class ExecutionSetupOnce {
  private pending?: Promise<PreparedExecution>;

  constructor(
    private readonly opts: BuildOptions,
    private readonly workDir: string,
  ) {}

  get(): Promise<PreparedExecution> {
    this.pending ??= prepareExecution(this.opts, this.workDir);
    return this.pending;
  }

  /** The setup if it was started and succeeded. */
  async settled(): Promise<PreparedExecution | undefined> {
    return this.pending?.catch(() => undefined);
  }

  /** For the lazy attempt: the chroot setup, or a stop when the choice is to build in place. */
  async needChroot(): Promise<PreparedExecution> {
    const prepared = await this.get();
    if (prepared.executor.inPlace) throw new BuilderError('EXECUTOR_UNAVAILABLE', IN_PLACE_CHOSEN);
    return prepared;
  }

  lazyExecutor(): Executor {
    return {
      kind: 'lazy',
      run: async (o: RunOptions) => (await this.needChroot()).executor.executor.run(o),
    };
  }
}

/** A snapshotter whose kind is decided on its first `prepare` (the probe runs then). */
class LazySnapshotter implements Snapshotter {
  private inner?: Promise<Snapshotter>;
  private resolved?: Snapshotter;

  constructor(private readonly make: () => Promise<Snapshotter>) {}

  get kind(): Snapshotter['kind'] {
    return this.resolved?.kind ?? 'stat-walk';
  }

  async prepare(root: string): Promise<{ runRoot: string }> {
    this.inner ??= this.make().then((s) => {
      this.resolved = s;
      return s;
    });
    return (await this.inner).prepare(root);
  }

  async snapshot(sink: Writable, opts?: LayerWriteOptions): Promise<SnapshotStats> {
    if (!this.inner) throw new BuilderError('UNSUPPORTED', 'snapshot before prepare');
    return (await this.inner).snapshot(sink, opts);
  }

  async dispose(): Promise<void> {
    const s = await this.inner?.catch(() => undefined);
    await s?.dispose();
  }
}

/** Chooses the executor and snapshotter (the probes), logs the choice, and checks what was asked for. */
async function prepareExecution(opts: BuildOptions, workDir: string): Promise<PreparedExecution> {
  const executor = await setupExecution({
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
  });
  // --ignore-path applies to every snapshotter; in place, the whole in-place ignore list does
  const ignore =
    executor.inPlace?.ignore ?? ignoreMatcher([...DEFAULT_IGNORED_PATHS, ...(opts.ignorePaths ?? [])]);
  const snapshotter: DetectedSnapshotter =
    opts.snapshotter === 'stat-walk' || executor.inPlace
      ? {
          snapshotter: new StatWalkSnapshotter({ mode: opts.snapshotMode, ignore }),
          reason: executor.inPlace
            ? 'stat-walk snapshots of / (in place: no overlay mounts)'
            : 'stat-walk snapshots: requested',
        }
      : await detectSnapshotter({ stateDir: join(workDir, 'snapshots'), mode: opts.snapshotMode, ignore });
  if (opts.snapshotter === 'overlay' && snapshotter.snapshotter.kind !== 'overlay') {
    throw new BuilderError(
      'OVERLAY_UNAVAILABLE',
      `overlay snapshots were requested but are not available: ${snapshotter.reason}`,
    );
  }
  opts.events?.info?.(`executor: ${executor.reason}; ${snapshotter.reason}`);
  const xattrs = await describeXattrSupport();
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

/** Pushes each layer to every destination as soon as the engine hands it over. */
function layerUploader(opts: BuildOptions): LayerUploader {
  return new LayerUploader((layer, signal) =>
    Promise.all(
      opts.destinations.map((dest) =>
        opts.registry.pushBlob(
          dest,
          { descriptor: layer.descriptor(), open: () => layer.compressed() },
          { signal, onProgress: (p) => opts.events?.push?.({ destination: dest, ...p }) },
        ),
      ),
    ),
  );
}

/** The layer cache `--cache`, `--cache-repo` and `--cache-dir` ask for (read-only with `--no-push-cache`). */
function layerCache(opts: BuildOptions): LayerCache | undefined {
  const cache = writableLayerCache(opts);
  return cache && opts.noPushCache ? readOnlyLayerCache(cache) : cache;
}

function writableLayerCache(opts: BuildOptions): LayerCache | undefined {
  if (!opts.cache) return undefined;
  const ttl = opts.cacheTtlMs === undefined ? {} : { ttl: opts.cacheTtlMs };
  const warn = { onWarning: (m: string) => opts.events?.info?.(m) };
  if (opts.cacheRepo) return new RegistryLayerCache(opts.registry, opts.cacheRepo, { ...ttl, ...warn });
  if (opts.cacheDir) return new LocalDirLayerCache(join(opts.cacheDir, 'layers'), { ...ttl, ...warn });
  const first = opts.destinations[0];
  if (first) return new RegistryLayerCache(opts.registry, `${repository(first)}/cache`, { ...ttl, ...warn });
  throw new BuilderError(
    'UNSUPPORTED',
    '--cache needs --cache-repo, --cache-dir or a destination to derive the cache repository from',
  );
}

const fmt = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** The context as a directory (a tar or tar.gz file is extracted safely first), with `.dockerignore`. */
async function openContext(opts: BuildOptions, workDir: string): Promise<DirectoryContext> {
  const st = await stat(opts.context).catch(() => undefined);
  if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `build context ${opts.context} does not exist`);
  const unpacked = st.isFile() ? await openTarContext(opts.context, { scratchDir: workDir }) : undefined;
  const root = join(unpacked?.root ?? opts.context, opts.contextSubPath ?? '');
  const dockerfilePath = resolveDockerfile(opts.dockerfile, root);
  const specific = await readFile(`${dockerfilePath}.dockerignore`, 'utf8').catch(() => undefined);
  const text = specific ?? (await readFile(join(root, '.dockerignore'), 'utf8').catch(() => ''));
  const matcher = createIgnoreMatcher(text);
  return openDirectoryContext(root, { exclude: (rel) => matcher.ignores(rel) });
}

function resolveDockerfile(dockerfile: string | undefined, contextRoot: string): string {
  const p = dockerfile ?? 'Dockerfile';
  return isAbsolute(p) ? p : resolve(contextRoot, p);
}

function repository(ref: string): string {
  const noDigest = ref.split('@')[0] as string;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function tagOf(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const noDigest = ref.split('@')[0] as string;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

async function writeDigestFiles(opts: BuildOptions, digest: string): Promise<void> {
  if (opts.digestFile) await writeFile(opts.digestFile, digest);
  if (opts.imageNameWithDigestFile) {
    await writeFile(
      opts.imageNameWithDigestFile,
      opts.destinations.map((d) => `${repository(d)}@${digest}\n`).join(''),
    );
  }
  if (opts.imageNameTagWithDigestFile) {
    const entries = opts.destinations.map((d) => ({ image: d, digest }));
    await writeFile(opts.imageNameTagWithDigestFile, JSON.stringify(entries));
  }
}

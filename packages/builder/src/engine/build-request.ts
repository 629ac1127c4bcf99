import type { Readable, Writable } from 'node:stream';
import type { BuildPlan, LintWarning, PlannedInstruction } from '@kaniko-ts/dockerfile';
import type { Compression, Image, Layer, Platform } from '@kaniko-ts/oci';
import type { Executor } from '../executor/executor.js';

/** Where base images and `COPY --from=<image>` images come from. */
export interface ImageResolver {
  /** Resolves a reference (after expansion) to an image for the platform. */
  resolve(ref: string, platform: Platform): Promise<Image>;
}

/** Build context as seen by COPY/ADD: a directory on disk plus the .dockerignore filter. */
export interface BuildContext {
  root: string;
  /** False for paths .dockerignore hides (root-relative, no leading slash). */
  visible(rel: string): boolean;
}

/** Progress events for adapters (terminal progress, CI logs, job summaries). */
export interface BuildEvents {
  /** A stage starts; `instructions` is how many it has (for "step n/m" counters). */
  stage?(e: { index: number; name?: string; base: string; instructions?: number }): void;
  instructionStart?(e: { stage: number; text: string; line: number }): void;
  instructionEnd?(e: {
    stage: number;
    text: string;
    line: number;
    durationMs: number;
    layer?: { diffId: string; digest: string; size: number };
    cached?: boolean;
  }): void;
  /** RUN output, line-buffered by the caller if needed. */
  output?(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  warning?(w: LintWarning): void;
  info?(message: string): void;
  /** Bytes of a blob sent to a destination so far (layer uploads during the build, the final push). */
  push?(e: { destination: string; digest: string; bytes: number; size: number }): void;
}

/** Secrets for `RUN --mount=type=secret`: a file or an environment value, by id. */
export type SecretSource = { file: string } | { value: string };

export interface BuildRequest {
  /** Layer cache (--cache-dir / --cache-repo). */
  cache?: import('../cache/layer-cache.js').LayerCache;
  /** Dockerfile text and the name used in error locations. */
  dockerfile: { text: string; path: string };
  context: BuildContext;
  buildArgs?: Record<string, string>;
  target?: string;
  /** `--label`: added to the final image config. */
  labels?: Record<string, string>;
  /** Target platform (`--custom-platform`); default linux/amd64 on amd64 hosts. */
  platform: Platform;
  images: ImageResolver;
  executor: Executor;
  /** Scratch directory owned by this build (root file systems, layer files). */
  workDir: string;
  compression?: Compression;
  /** `--compression-level`: gzip 1–9, zstd 1–22 (default: the algorithm's default). */
  compressionLevel?: number;
  /**
   * Stages built at once when they do not depend on each other (FROM <stage>, COPY --from,
   * RUN --mount from=). Default 2; 1 builds them one after another (the in-place executor, which
   * has a single root). The image, timings and events do not depend on it.
   */
  maxConcurrentStages?: number;
  /**
   * Told about every layer of the final image as soon as it exists (base layers when their stage
   * starts, RUN/COPY layers when their instruction ends), so uploads can run while later
   * instructions build. `failure()` is checked after each instruction: an upload error fails the build.
   */
  layerSink?: LayerSink;
  /** `--reproducible`: timestamps normalised to the epoch (or SOURCE_DATE_EPOCH passed here). */
  reproducible?: boolean | { epoch: number };
  secrets?: Record<string, SecretSource>;
  /** Where `RUN --mount=type=cache` directories persist between builds (default: this build only). */
  cacheDir?: string;
  events?: BuildEvents;
  /** Clock, for `created` timestamps. */
  now?: () => Date;
  /**
   * Awaited before the first instruction that has to run (a cache miss), so a check started with
   * the build (the push-permission check) fails it before anything runs, while planning, cache
   * lookups and cached steps go on meanwhile. A rejection fails the build with that error.
   */
  ready?: Promise<unknown>;
  /** Downloads for ADD <url>. */
  fetch?: typeof fetch;
}

/** Receives the final image's layers while the build runs (see `BuildRequest.layerSink`). */
export interface LayerSink {
  add(layer: Layer): void;
  /** The first failure so far, if any; the build throws it. */
  failure(): unknown;
}

export interface InstructionTiming {
  stage: number;
  text: string;
  line: number;
  durationMs: number;
  layer: boolean;
}

export interface BuildResult {
  image: Image;
  plan: BuildPlan;
  /** Stage indexes that were built, in order. */
  built: number[];
  timings: InstructionTiming[];
  warnings: LintWarning[];
  /** Base image digests by reference (for provenance). */
  baseImages: Record<string, string>;
}

/** An instruction's text for logs and history. */
export const instructionText = (i: PlannedInstruction): string => i.original;

export type { Layer, Readable, Writable };

import type { Mount, PlannedInstruction } from '@kaniko-ts/dockerfile';
import type { Layer } from '@kaniko-ts/oci';
import type { CopySource } from '../dispatch/copy.js';
import type { Owner } from '../dispatch/user-database.js';
import type { StageState } from './stage-state.js';

/** What a RUN asks the build for. */
export interface RunSpec {
  argv: string[];
  env: string[];
  cwd: string;
  user: Owner;
  mounts: Mount[];
  /** Files BuildKit mounts read-only for the RUN (a `#!` heredoc script at /dev/pipes/<name>). */
  files: { path: string; mode: number; content: string }[];
  network?: 'default' | 'none' | 'host';
}

/**
 * The build-wide services a `StageBuilder` uses: root file systems, other stages and images as
 * COPY sources, layer production and RUN execution. Implemented by the build, which owns all state.
 */
export interface StageServices {
  /** The stage's root file system on disk, extracted on first use. */
  rootfs(state: StageState): Promise<string>;
  exists(root: string, path: string): Promise<boolean>;
  /** COPY source: the context, a stage (name or index) or an image reference. */
  copySource(from: string | undefined): Promise<CopySource>;
  /** Runs a command in the stage's root and returns the layer of what it changed. */
  runInSnapshot(state: StageState, root: string, spec: RunSpec): Promise<Layer | undefined>;
  /** A layer holding exactly these root-relative paths. */
  pathsLayer(root: string, paths: string[]): Promise<Layer | undefined>;
  /** Applies a layer tar (a Readable, or chunks each valid until the next: see `uncompressedChunks`). */
  extractTar(dir: string, tar: AsyncIterable<Buffer>): Promise<void>;
  /** `Dockerfile:12:1` */
  location(ins: PlannedInstruction): string;
  /** History timestamp. */
  created(): string;
  tempDir: string;
  fetch?: typeof fetch;
}

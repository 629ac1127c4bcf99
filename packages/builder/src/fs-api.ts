/**
 * Public API of the builder's file-system modules (safe layer extraction, snapshotters, RUN
 * executors, build context sources). The package index re-exports this file.
 */
export { BuilderError, type BuilderErrorCode } from './builder-error.js';
export type { ContextEntry, ContextSource } from './context/context-source.js';
export { DirectoryContext, type DirectoryContextOptions } from './context/directory-context.js';
export { openDirectoryContext, openTarContext, type TarContextOptions } from './context/tar-context.js';
export {
  ChrootExecutor,
  type ChrootExecutorOptions,
  DEFAULT_CAPABILITIES,
} from './executor/chroot-executor.js';
export {
  type DetectExecutorOptions,
  type DetectedExecutor,
  detectExecutor,
} from './executor/detect-executor.js';
export type { Executor, OutputSink, RunMount, RunOptions, RunUser } from './executor/executor.js';
export {
  type ExtractOptions,
  type ExtractStats,
  extractLayer,
  OPAQUE_WHITEOUT,
  WHITEOUT_PREFIX,
} from './rootfs/extract-layer.js';
export { cleanRelative, type Resolved, RootResolver } from './rootfs/root-resolver.js';
export { readTar, type TarEntry, type TarEntryType, type TarHeader } from './rootfs/tar-reader.js';
export { encodeTarHeader, type TarWriteHeader, tarPadding, tarTrailer } from './rootfs/tar-writer.js';
export {
  type DetectedSnapshotter,
  type DetectSnapshotterOptions,
  detectSnapshotter,
} from './snapshot/detect-snapshotter.js';
export { DEFAULT_IGNORED_PATHS, ignoreMatcher } from './snapshot/ignore-list.js';
export {
  type LayerItem,
  type LayerWriteOptions,
  layerTar,
  type SnapshotStats,
  withAncestors,
  writeLayer,
} from './snapshot/layer-writer.js';
export { type OverlayOptions, OverlaySnapshotter } from './snapshot/overlay-snapshotter.js';
export type { Snapshotter } from './snapshot/snapshotter.js';
export { type StatWalkOptions, StatWalkSnapshotter } from './snapshot/stat-walk-snapshotter.js';

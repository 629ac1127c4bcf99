export {
  BASE_REPOS,
  type BaseImageLayout,
  type BaseImageName,
  type BaseImages,
  debianSources,
  ensureBaseImages,
  ensureRegistrySeed,
  type PushedBaseImages,
  type PushedImage,
  pushBaseImages,
  type RegistrySeed,
  seededBaseImages,
  testCacheDir,
} from './base-images.js';
export { type ContainersSetup, ensureContainersSetup } from './containers-config.js';
export { harness } from './context.js';
export { BENCH_TOOLS, ensureTools, findExecutable, TEST_TOOLS, type ToolSpec } from './ensure-tools.js';
export { withFileLock } from './file-lock.js';
export type { HarnessInfo, HarnessRegistry } from './harness-info.js';
export {
  buildah,
  type ContainerToolOptions,
  type PodmanRunOptions,
  podman,
  podmanRun,
  skopeo,
} from './podman.js';
export {
  containersToolFlags,
  type RegistryInfo,
  type RegistryVariant,
  type RunningRegistry,
  registryGet,
  startRegistry,
} from './registry.js';
export { type CommandResult, killGroup, runChecked, runCommand } from './run-command.js';
export { withTempDir } from './temp-dir.js';

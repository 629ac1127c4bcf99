export { type BuildOptions, type BuildOutcome, build } from './build.js';
export * from './cache/index.js';
export { buildImage, type EngineParts } from './engine/build-image.js';
export type {
  BuildContext,
  BuildEvents,
  BuildRequest,
  BuildResult,
  ImageResolver,
  InstructionTiming,
  SecretSource,
} from './engine/build-request.js';
export { describeBuild } from './engine/describe-build.js';
export * from './fs-api.js';

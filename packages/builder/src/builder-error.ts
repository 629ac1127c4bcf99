import { KanikoError } from '@kaniko-ts/oci';

/** Codes of every failure the builder raises on purpose. */
export type BuilderErrorCode =
  | 'UNSAFE_LAYER_ENTRY'
  | 'INVALID_LAYER'
  | 'LAYER_TOO_LARGE'
  | 'EXTRACT_FAILED'
  | 'SNAPSHOT_FAILED'
  | 'OVERLAY_UNAVAILABLE'
  | 'EXECUTOR_UNAVAILABLE'
  | 'EXECUTOR_FAILED'
  | 'TOOL_MISSING'
  | 'CONTEXT_INVALID'
  | 'CONTEXT_NOT_FOUND'
  | 'UNSAFE_PATH'
  // raised by the build engine (engine/, dispatch/)
  | 'INSTRUCTION_FAILED'
  | 'RUN_FAILED'
  | 'USER_NOT_FOUND'
  | 'STAGE_NOT_BUILT'
  | 'ROOTFS_COPY_FAILED'
  | 'UNSUPPORTED';

/**
 * The one error class of `@kaniko-ts/builder`. When a layer entry is at fault, `entry` names it
 * (as written in the tar) and the message contains it too.
 */
export class BuilderError extends KanikoError<BuilderErrorCode> {
  readonly entry: string | undefined;

  constructor(code: BuilderErrorCode, message: string, options?: { cause?: unknown; entry?: string }) {
    super(code, message, options);
    this.entry = options?.entry;
  }
}

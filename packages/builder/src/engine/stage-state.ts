import type { PlannedStage } from '@kaniko-ts/dockerfile';
import type { History, ImageConfig, Layer } from '@kaniko-ts/oci';
import type { MetadataState } from '../dispatch/metadata.js';

/**
 * Everything one stage accumulates while it is built. It lives in the `StageBuilder` that owns it
 * (never in module scope) and is handed to later stages that COPY --from or build FROM it.
 */
export interface StageState extends MetadataState {
  plan: PlannedStage;
  config: ImageConfig;
  /** Base layers followed by the layers this stage added. */
  layers: Layer[];
  history: History[];
  /** Host directory of the stage's root file system, once materialised. */
  rootfs?: string;
  /** The stage this one is built FROM: its root file system is copied instead of extracting layers. */
  parent?: StageState;
  /** Digest of the base image when it came from a registry. */
  baseDigest?: string;
}

import type { InventoryWithWarnings } from '@kaniko-ts/sbom';

/** One instruction of the build, for the summary. */
export interface BuildInstruction {
  text: string;
  line: number;
  durationMs: number;
  /** Whether it produced a layer. */
  layer: boolean;
  cached: boolean;
}

/** What the build step reports (from the builder's outcome). */
export interface BuildResult {
  /** Manifest digest ('' for a dry run). */
  digest: string;
  /** Config digest. */
  configDigest: string;
  platform: string;
  /** `repo@digest` per pushed destination (empty when not pushing). */
  references: string[];
  size: number;
  instructions: BuildInstruction[];
  /** Dockerfile diagnostics, turned into annotations on GitHub. */
  warnings: { file: string; line: number; column?: number; message: string }[];
  durationMs: number;
  /** The printed plan of a dry run. */
  plan?: string;
  /** Base image reference → manifest digest. */
  baseImages?: Record<string, string>;
  /** Inventory taken while building (when `catalog`). */
  inventory?: InventoryWithWarnings;
}

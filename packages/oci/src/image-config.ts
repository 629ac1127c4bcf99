import type { Digest } from './digest.js';
import { OciError } from './oci-error.js';

/** Docker/OCI health check; durations are nanoseconds. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime defaults of a container (`config` in the image config). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
  /** Docker-only fields kept when present. */
  Hostname?: string;
  Domainname?: string;
}

/** One history entry; entries with `empty_layer` have no layer. */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** Root file system: the uncompressed digests (diffIDs) of the layers, in order. */
export interface RootFs {
  type: 'layers' | string;
  diff_ids: Digest[];
}

/**
 * OCI image config / Docker container image config (wire shape). Unknown fields read from a blob
 * survive mutations because the mutate functions copy objects with spread.
 */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  config?: ContainerConfig;
  rootfs: RootFs;
  history?: History[];
  /** Docker-only legacy fields. */
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
}

/** Parses an image config blob, checking `rootfs.diff_ids`. Throws `INVALID_MANIFEST`. */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new OciError('INVALID_MANIFEST', 'parsing image config: not JSON', { cause });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new OciError('INVALID_MANIFEST', 'parsing image config: not a JSON object');
  }
  return value as ImageConfig;
}

/** Number of history entries that describe a layer (not `empty_layer`). */
export function nonEmptyHistoryCount(config: ImageConfig): number {
  return (config.history ?? []).filter((h) => !h.empty_layer).length;
}

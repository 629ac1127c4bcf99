import type { BaseImages, PushedBaseImages } from './base-images.js';
import type { RegistryInfo, RegistryVariant } from './registry.js';

/** A running test registry and where the base images are in it. */
export interface HarnessRegistry extends RegistryInfo {
  bases: PushedBaseImages;
}

/** Everything global setup prepared, as plain JSON (what `inject('harness')` returns in a test). */
export interface HarnessInfo {
  /** `plain` (HTTP), `tls` (HTTPS, CA in `caFile`/`caPem`/`caCertDir`), `auth` (HTTP + htpasswd basic auth). */
  registries: Record<RegistryVariant, HarnessRegistry>;
  /** The cached OCI layouts of the base images (read-only: copy before changing). */
  baseLayouts: BaseImages;
  /** `CONTAINERS_CONF` / `CONTAINERS_STORAGE_CONF` used by `podmanRun`, `skopeo`, `buildah`. */
  containersEnv: Record<string, string>;
  cacheDir: string;
  /** How long each part of global setup took, in milliseconds. */
  timings: Record<string, number>;
}

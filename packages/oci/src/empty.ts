import { sha256 } from './digest.js';
import { type Image, imageFromParts } from './image.js';
import type { ImageConfig } from './image-config.js';
import { type ImageIndex, indexFromParts } from './image-index.js';
import { MediaType, type MediaTypeFamily } from './media-types.js';
import { type Platform, toPlatformJson } from './platform.js';

/** Options of `emptyImage`. */
export interface EmptyImageOptions {
  /** The platform recorded in the config (`FROM scratch` for this platform). */
  platform: Platform;
  /** Manifest family, default `oci`. */
  mediaTypes?: MediaTypeFamily;
}

/** An image with no layers and an empty runtime config: the base of `FROM scratch`. */
export function emptyImage(opts: EmptyImageOptions): Image {
  const docker = opts.mediaTypes === 'docker';
  const config: ImageConfig = {
    ...toPlatformJson(opts.platform),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const rawConfig = new TextEncoder().encode(JSON.stringify(config));
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
      config: {
        mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
        digest: sha256(rawConfig),
        size: rawConfig.byteLength,
      },
      layers: [],
    },
    rawConfig,
    layers: [],
  });
}

/** An index with no manifests. */
export function emptyIndex(opts: { mediaTypes?: MediaTypeFamily } = {}): ImageIndex {
  return indexFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: opts.mediaTypes === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex,
      manifests: [],
    },
    children: new Map(),
  });
}

/**
 * Media types of the OCI image spec and of Docker's image manifest v2 schema 2, plus predicates.
 * A media type is any string (artifacts bring their own); these constants are the ones images use.
 */
export const MediaType = Object.freeze({
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The `{}` blob used as config (and layer) of artifacts that have none. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Not in Docker's spec; containerd and BuildKit use it for zstd layers in Docker manifests. */
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const);

/** Any media type string; the well-known ones are in `MediaType`. */
export type MediaType = string;

/** How a layer blob is compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** Manifest family: OCI image spec or Docker schema 2. */
export type MediaTypeFamily = 'oci' | 'docker';

/**
 * The bytes of the empty JSON descriptor payload `{}`. Typed arrays cannot be frozen: never write to
 * it; `emptyJson()` returns a fresh copy.
 */
export const EMPTY_JSON: Uint8Array = new Uint8Array([0x7b, 0x7d]);

/** A fresh copy of the empty JSON payload `{}`. */
export function emptyJson(): Uint8Array {
  return new Uint8Array([0x7b, 0x7d]);
}

/** True for OCI image indexes and Docker manifest lists. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** True for single-image manifests (OCI image manifest, Docker schema 2 manifest). */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/** True for image config media types (OCI or Docker). */
export function isConfigMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig;
}

const LAYERS: Readonly<
  Record<string, { compression: Compression; family: MediaTypeFamily; distributable: boolean }>
> = Object.freeze({
  [MediaType.ociLayer]: { compression: 'none', family: 'oci', distributable: true },
  [MediaType.ociLayerGzip]: { compression: 'gzip', family: 'oci', distributable: true },
  [MediaType.ociLayerZstd]: { compression: 'zstd', family: 'oci', distributable: true },
  [MediaType.ociLayerNondistributable]: { compression: 'none', family: 'oci', distributable: false },
  [MediaType.ociLayerNondistributableGzip]: { compression: 'gzip', family: 'oci', distributable: false },
  [MediaType.ociLayerNondistributableZstd]: { compression: 'zstd', family: 'oci', distributable: false },
  [MediaType.dockerLayer]: { compression: 'none', family: 'docker', distributable: true },
  [MediaType.dockerLayerGzip]: { compression: 'gzip', family: 'docker', distributable: true },
  [MediaType.dockerLayerZstd]: { compression: 'zstd', family: 'docker', distributable: true },
  [MediaType.dockerForeignLayer]: { compression: 'gzip', family: 'docker', distributable: false },
});

/** True for file-system layer media types (tar, optionally compressed), OCI or Docker. */
export function isLayerMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && Object.hasOwn(LAYERS, mediaType);
}

/** False for foreign/non-distributable layers, which registries and sinks may refuse to copy. */
export function isDistributableMediaType(mediaType: string): boolean {
  return LAYERS[mediaType]?.distributable ?? true;
}

/**
 * The compression of a layer media type, or `undefined` when `mediaType` is not a known layer type
 * (artifact blobs are treated as opaque, uncompressed bytes by `Layer`).
 */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYERS[mediaType]?.compression;
}

/** Which family (`oci`/`docker`) a manifest, index, config or layer media type belongs to. */
export function mediaTypeFamily(mediaType: string | undefined): MediaTypeFamily | undefined {
  if (mediaType === undefined) return undefined;
  if (mediaType.startsWith('application/vnd.oci.')) return 'oci';
  if (mediaType.startsWith('application/vnd.docker.')) return 'docker';
  return undefined;
}

/** The layer media type for a compression in a family (distributable layers). */
export function layerMediaType(compression: Compression, family: MediaTypeFamily = 'oci'): string {
  if (family === 'oci') {
    return { none: MediaType.ociLayer, gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd }[
      compression
    ];
  }
  return { none: MediaType.dockerLayer, gzip: MediaType.dockerLayerGzip, zstd: MediaType.dockerLayerZstd }[
    compression
  ];
}

const TO_DOCKER: Readonly<Record<string, string>> = Object.freeze({
  [MediaType.ociManifest]: MediaType.dockerManifest,
  [MediaType.ociIndex]: MediaType.dockerManifestList,
  [MediaType.ociConfig]: MediaType.dockerConfig,
  [MediaType.ociLayer]: MediaType.dockerLayer,
  [MediaType.ociLayerGzip]: MediaType.dockerLayerGzip,
  [MediaType.ociLayerZstd]: MediaType.dockerLayerZstd,
  [MediaType.ociLayerNondistributableGzip]: MediaType.dockerForeignLayer,
});
const TO_OCI: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(TO_DOCKER).map(([k, v]) => [v, k])),
);

/**
 * The equivalent media type in another family; types without an equivalent (artifacts, the empty
 * descriptor, OCI non-distributable tar/zstd in Docker) are returned unchanged.
 */
export function convertMediaType(mediaType: string, family: MediaTypeFamily): string {
  const table = family === 'docker' ? TO_DOCKER : TO_OCI;
  return table[mediaType] ?? mediaType;
}

import type { Digest } from './digest.js';
import type { PlatformJson } from './platform.js';

/** A content descriptor: what a manifest says about one blob or child manifest (OCI wire shape). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the content, for small embedded blobs. */
  data?: string;
  /** Only on index entries. */
  platform?: PlatformJson;
  artifactType?: string;
}

/** Annotation keys this package reads or writes. */
export const Annotation = Object.freeze({
  /** Tag of a manifest in an OCI layout's `index.json`. */
  refName: 'org.opencontainers.image.ref.name',
  created: 'org.opencontainers.image.created',
  baseDigest: 'org.opencontainers.image.base.digest',
  baseName: 'org.opencontainers.image.base.name',
  /** Set by containerd/Docker on layout entries: the full image name. */
  containerdImageName: 'io.containerd.image.name',
} as const);

/** A copy of `d` with only the descriptor fields (drops unknown keys; keeps key order stable). */
export function cleanDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls?.length) out.urls = [...d.urls];
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = { ...d.annotations };
  if (d.data !== undefined) out.data = d.data;
  if (d.platform) out.platform = { ...d.platform };
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

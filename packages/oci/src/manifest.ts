import type { Descriptor } from './descriptor.js';
import { isDigest } from './digest.js';
import { isIndexMediaType } from './media-types.js';
import { OciError } from './oci-error.js';

/** An OCI image manifest or Docker schema 2 manifest (wire shape). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index or Docker manifest list (wire shape). */
export interface ImageIndexManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

function parseJson(bytes: Uint8Array | string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new OciError('INVALID_MANIFEST', `parsing ${what}: not JSON`, { cause });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new OciError('INVALID_MANIFEST', `parsing ${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function checkDescriptor(d: unknown, what: string): void {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object') throw new OciError('INVALID_MANIFEST', `parsing ${what}: not an object`);
  if (typeof o.mediaType !== 'string') {
    throw new OciError('INVALID_MANIFEST', `parsing ${what}: mediaType missing`);
  }
  if (!isDigest(o.digest)) {
    throw new OciError('INVALID_MANIFEST', `parsing ${what}: invalid digest ${JSON.stringify(o.digest)}`);
  }
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new OciError('INVALID_MANIFEST', `parsing ${what}: invalid size ${JSON.stringify(o.size)}`);
  }
}

/** Parses and shape-checks an image manifest. Throws `INVALID_MANIFEST`. */
export function parseImageManifest(bytes: Uint8Array | string): ImageManifest {
  const m = parseJson(bytes, 'image manifest');
  if (m.schemaVersion !== 2)
    throw new OciError('INVALID_MANIFEST', 'parsing image manifest: schemaVersion != 2');
  if (isIndexMediaType(m.mediaType as string) || Array.isArray(m.manifests)) {
    throw new OciError('INVALID_MANIFEST', 'parsing image manifest: this is an index');
  }
  checkDescriptor(m.config, 'image manifest config');
  if (!Array.isArray(m.layers))
    throw new OciError('INVALID_MANIFEST', 'parsing image manifest: layers missing');
  for (const [i, l] of m.layers.entries()) checkDescriptor(l, `image manifest layer ${i}`);
  if (m.subject !== undefined) checkDescriptor(m.subject, 'image manifest subject');
  return m as unknown as ImageManifest;
}

/** Parses and shape-checks an image index / manifest list. Throws `INVALID_MANIFEST`. */
export function parseImageIndexManifest(bytes: Uint8Array | string): ImageIndexManifest {
  const m = parseJson(bytes, 'image index');
  if (m.schemaVersion !== 2)
    throw new OciError('INVALID_MANIFEST', 'parsing image index: schemaVersion != 2');
  if (!Array.isArray(m.manifests))
    throw new OciError('INVALID_MANIFEST', 'parsing image index: manifests missing');
  for (const [i, d] of m.manifests.entries()) checkDescriptor(d, `image index entry ${i}`);
  if (m.subject !== undefined) checkDescriptor(m.subject, 'image index subject');
  return m as unknown as ImageIndexManifest;
}

/**
 * Best guess at the media type of a manifest blob: its own `mediaType`, else index if it has
 * `manifests`, else OCI manifest.
 */
export function sniffManifestMediaType(bytes: Uint8Array | string): string {
  const m = parseJson(bytes, 'manifest');
  if (typeof m.mediaType === 'string') return m.mediaType;
  return Array.isArray(m.manifests)
    ? 'application/vnd.oci.image.index.v1+json'
    : 'application/vnd.oci.image.manifest.v1+json';
}

/** Serializes a manifest the way this package always does (compact JSON, UTF-8). */
export function serializeManifest(m: ImageManifest | ImageIndexManifest | object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

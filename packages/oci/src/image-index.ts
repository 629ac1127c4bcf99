import type { Descriptor } from './descriptor.js';
import { type Digest, isDigest, sha256 } from './digest.js';
import type { Image } from './image.js';
import { once } from './internal/once.js';
import { type ImageIndexManifest, parseImageIndexManifest, serializeManifest } from './manifest.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from './media-types.js';
import { OciError } from './oci-error.js';
import { formatPlatform, normalizePlatform, type Platform, platformMatches } from './platform.js';

/** A read-only view of an image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  readonly mediaType: string;
  manifest(): Promise<ImageIndexManifest>;
  rawManifest(): Promise<Uint8Array>;
  digest(): Promise<Digest>;
  descriptor(): Promise<Descriptor>;
  /** The child image named by digest or descriptor. Throws `NOT_FOUND` if it is not listed. */
  image(ref: Digest | Descriptor): Promise<Image>;
  /** The child index named by digest or descriptor. Throws `NOT_FOUND` if it is not listed. */
  index(ref: Digest | Descriptor): Promise<ImageIndex>;
}

/** The small core an index source implements; `indexFromCore` derives the rest. */
export interface IndexCore {
  mediaType: string;
  rawManifest(): Promise<Uint8Array>;
  /** Loads the child image for a descriptor listed in the manifest (the view verifies listing). */
  image(descriptor: Descriptor): Promise<Image>;
  index(descriptor: Descriptor): Promise<ImageIndex>;
}

/** Builds a full `ImageIndex` from a core. */
export function indexFromCore(core: IndexCore): ImageIndex {
  const rawManifest = once(core.rawManifest.bind(core));
  const manifest = once(async () => parseImageIndexManifest(await rawManifest()));
  const digest = once(async () => sha256(await rawManifest()));
  const find = async (ref: Digest | Descriptor): Promise<Descriptor> => {
    const want = isDigest(ref) ? ref : (ref as Descriptor).digest;
    const found = (await manifest()).manifests.find((d) => d.digest === want);
    if (!found) throw new OciError('NOT_FOUND', `finding manifest ${want}: not in index ${await digest()}`);
    return found;
  };
  return {
    mediaType: core.mediaType,
    rawManifest,
    manifest: async () => structuredClone(await manifest()),
    digest,
    descriptor: async () => {
      const [m, raw, d] = await Promise.all([manifest(), rawManifest(), digest()]);
      const out: Descriptor = { mediaType: core.mediaType, digest: d, size: raw.byteLength };
      if (m.artifactType) out.artifactType = m.artifactType;
      return out;
    },
    image: async (ref) => core.image(await find(ref)),
    index: async (ref) => core.index(await find(ref)),
  };
}

/** An in-memory index manifest plus its children (by digest, or a loader for listed descriptors). */
export interface IndexParts {
  manifest: ImageIndexManifest;
  children: Map<Digest, Image | ImageIndex> | ((descriptor: Descriptor) => Promise<Image | ImageIndex>);
}

/** An index from an in-memory manifest and child views (used by `buildIndex`, `emptyIndex`). */
export function indexFromParts(parts: IndexParts): ImageIndex {
  const raw = serializeManifest(parts.manifest);
  const children = parts.children;
  const child = async (d: Descriptor): Promise<Image | ImageIndex> => {
    if (typeof children === 'function') return children(d);
    const c = children.get(d.digest);
    if (!c) throw new OciError('NOT_FOUND', `loading manifest ${d.digest}: index has no view for it`);
    return c;
  };
  return indexFromCore({
    mediaType: parts.manifest.mediaType ?? MediaType.ociIndex,
    rawManifest: async () => raw,
    image: async (d) => {
      const c = await child(d);
      if (isImageIndex(c)) throw new OciError('UNSUPPORTED_MEDIA_TYPE', `loading ${d.digest}: is an index`);
      return c;
    },
    index: async (d) => {
      const c = await child(d);
      if (!isImageIndex(c)) throw new OciError('UNSUPPORTED_MEDIA_TYPE', `loading ${d.digest}: is an image`);
      return c;
    },
  });
}

/**
 * The image descriptor in `index` for `platform`: image manifests whose platform matches (attestation
 * manifests with `unknown/unknown` never match); an exact variant wins over a variant-less entry.
 * Throws `NOT_FOUND` when none matches.
 */
export async function resolvePlatform(index: ImageIndex, platform: Platform): Promise<Descriptor> {
  const want = normalizePlatform(platform);
  const candidates = (await index.manifest()).manifests.filter(
    (d) =>
      isManifestMediaType(d.mediaType) &&
      d.platform &&
      !isAttestationManifest(d) &&
      platformMatches(want, d.platform),
  );
  const exact = candidates.find((d) => normalizePlatform(d.platform!).variant === want.variant);
  const chosen = exact ?? candidates[0];
  if (!chosen) {
    throw new OciError(
      'NOT_FOUND',
      `selecting platform ${formatPlatform(want)}: index ${await index.digest()} has ${
        (await index.manifest()).manifests
          .filter((d) => d.platform)
          .map((d) => formatPlatform(d.platform!))
          .join(', ') || 'no platforms'
      }`,
    );
  }
  return chosen;
}

/** BuildKit's provenance/SBOM manifests: `unknown/unknown` or `vnd.docker.reference.type` annotated. */
export function isAttestationManifest(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown')
  );
}

/** The image for `platform` in `index` (see `resolvePlatform`). */
export async function imageForPlatform(index: ImageIndex, platform: Platform): Promise<Image> {
  return index.image(await resolvePlatform(index, platform));
}

/** True when a view is an index (has `index()`), false for an image. */
export function isImageIndex(v: Image | ImageIndex): v is ImageIndex {
  return isIndexMediaType(v.mediaType) || !('layers' in v);
}

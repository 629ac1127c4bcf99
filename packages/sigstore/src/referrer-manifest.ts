import {
  type Descriptor,
  type Digest,
  EMPTY_JSON,
  type ImageIndexManifest,
  type ImageManifest,
  MediaType,
  parseDigest,
  sha256,
} from '@kaniko-ts/oci';
import { BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';
import { goDescriptor, goJson, sortedRecord } from './internal/go-json.js';
import type { ArtifactManifest } from './legacy-manifest.js';

export { BUNDLE_V03_MEDIA_TYPE } from '@sigstore/bundle';

export const BundleAnnotation = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

/** RFC 3339 in UTC with whole seconds, as Go's `time.RFC3339` prints a UTC time. */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The OCI 1.1 referrer manifest cosign v3 writes for a Sigstore bundle (`WriteReferrer`): empty
 * config carrying the artifact type, one bundle layer, `dev.sigstore.bundle.*` annotations, the
 * subject, and `artifactType` — in go-containerregistry's field order.
 */
export function bundleReferrerManifest(options: {
  bundle: Uint8Array;
  predicateType: string;
  subject: Descriptor;
  created: Date;
}): ArtifactManifest {
  const bundleDescriptor: Descriptor = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    digest: sha256(options.bundle),
    size: options.bundle.length,
  };
  const config: Descriptor = {
    mediaType: MediaType.ociEmpty,
    digest: sha256(EMPTY_JSON),
    size: EMPTY_JSON.length,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
  };
  const subject: Descriptor = {
    mediaType: options.subject.mediaType,
    digest: options.subject.digest,
    size: options.subject.size,
  };
  const annotations = sortedRecord({
    [BundleAnnotation.created]: rfc3339(options.created),
    [BundleAnnotation.content]: 'dsse-envelope',
    [BundleAnnotation.predicateType]: options.predicateType,
  });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config,
    layers: [bundleDescriptor],
    subject,
    annotations,
  };
  const bytes = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: goDescriptor(config),
      layers: [goDescriptor(bundleDescriptor)],
      annotations,
      subject: goDescriptor(subject),
      artifactType: BUNDLE_V03_MEDIA_TYPE,
    }),
  );
  const blobs = new Map<Digest, Uint8Array>([
    [config.digest, EMPTY_JSON],
    [bundleDescriptor.digest, options.bundle],
  ]);
  return { manifest, bytes, digest: sha256(bytes), blobs };
}

/** The referrers tag-schema fallback tag of a subject: `sha256-<hex>`. */
export function referrersFallbackTag(digest: string): string {
  return parseDigest(digest).replace(':', '-');
}

/**
 * The fallback referrers index after adding `referrer` (a manifest with a subject), as
 * go-containerregistry writes it: existing entries kept, same digest replaced, sorted by digest,
 * entries `{mediaType, size, digest, artifactType}` without annotations for the new one.
 */
export function addToReferrersIndex(
  existing: ImageIndexManifest | undefined,
  referrer: { manifest: ImageManifest; digest: Digest; size: number },
): { index: ImageIndexManifest; bytes: Uint8Array; digest: Digest } {
  const entry: Descriptor = {
    mediaType: referrer.manifest.mediaType ?? MediaType.ociManifest,
    digest: referrer.digest,
    size: referrer.size,
    artifactType: referrer.manifest.artifactType ?? referrer.manifest.config.mediaType,
  };
  const manifests = [...(existing?.manifests ?? []).filter((d) => d.digest !== referrer.digest), entry].sort(
    (a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0),
  );
  const index: ImageIndexManifest = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: manifests.map(goDescriptor),
  };
  if (existing?.annotations && Object.keys(existing.annotations).length) {
    index.annotations = existing.annotations;
    json.annotations = sortedRecord(existing.annotations);
  }
  const bytes = Buffer.from(goJson(json));
  return { index, bytes, digest: sha256(bytes) };
}

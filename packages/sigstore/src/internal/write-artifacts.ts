import { type Digest, MediaType, parseImageIndexManifest, parseImageManifest } from '@kaniko-ts/oci';
import type { ArtifactStore } from '../artifact-store.js';
import type { LegacyLayer } from '../legacy-layers.js';
import {
  type ArtifactManifest,
  type LegacySuffix,
  legacySignatureManifest,
  legacyTag,
} from '../legacy-manifest.js';
import { addToReferrersIndex, referrersFallbackTag } from '../referrer-manifest.js';
import { SigstoreError } from '../sigstore-error.js';

async function wrap<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SigstoreError) throw e;
    throw new SigstoreError('STORAGE_FAILED', `${operation}: ${(e as Error).message}`, { cause: e });
  }
}

async function pushBlobs(store: ArtifactStore, artifact: ArtifactManifest): Promise<void> {
  const layers = [artifact.manifest.config, ...artifact.manifest.layers];
  for (const [digest, bytes] of artifact.blobs) {
    const descriptor = layers.find((d) => d.digest === digest);
    if (descriptor) await store.putBlob(descriptor, bytes);
  }
}

/**
 * Appends layers to the `sha256-<hex>.<suffix>` manifest (read-modify-write, as cosign does): blobs
 * first, then the manifest, so a failure never leaves a tag naming missing blobs.
 */
export function writeLegacy(
  store: ArtifactStore,
  subject: Digest,
  suffix: LegacySuffix,
  layers: LegacyLayer[],
): Promise<{ tag: string; digest: Digest }> {
  const tag = legacyTag(subject, suffix);
  return wrap(`writing ${store.name}:${tag}`, async () => {
    const current = await store.getManifest({ tag });
    let existing: Parameters<typeof legacySignatureManifest>[1];
    if (current) {
      const manifest = parseImageManifest(current.bytes);
      existing = { manifest, config: await store.getBlob(manifest.config) };
    }
    const artifact = legacySignatureManifest(layers, existing);
    await pushBlobs(store, artifact);
    const digest = await store.putManifest(artifact.bytes, MediaType.ociManifest, tag);
    return { tag, digest };
  });
}

/**
 * Pushes a referrer manifest by digest; when the store's referrers listing does not show it (no
 * referrers API), records it in the `sha256-<hex>` fallback index as go-containerregistry does.
 */
export function writeReferrer(
  store: ArtifactStore,
  subject: Digest,
  artifact: ArtifactManifest,
): Promise<Digest> {
  return wrap(`writing referrer of ${subject} to ${store.name}`, async () => {
    await pushBlobs(store, artifact);
    const digest = await store.putManifest(artifact.bytes, MediaType.ociManifest);
    const listed = await store.listReferrers(subject);
    if (listed.some((d) => d.digest === digest)) return digest;
    const tag = referrersFallbackTag(subject);
    const current = await store.getManifest({ tag });
    const index = current ? parseImageIndexManifest(current.bytes) : undefined;
    const updated = addToReferrersIndex(index, {
      manifest: artifact.manifest,
      digest,
      size: artifact.bytes.length,
    });
    await store.putManifest(updated.bytes, MediaType.ociIndex, tag);
    return digest;
  });
}

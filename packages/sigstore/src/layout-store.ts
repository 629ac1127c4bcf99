import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Annotation,
  type Descriptor,
  type Digest,
  digestAlgorithm,
  digestHex,
  type ImageIndexManifest,
  MediaType,
  parseImageIndexManifest,
  sha256,
  sniffManifestMediaType,
  verifyBytes,
} from '@kaniko-ts/oci';
import type { ArtifactStore } from './artifact-store.js';
import { referrersFallbackTag } from './referrer-manifest.js';
import { SigstoreError } from './sigstore-error.js';

async function atomicWrite(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/**
 * An OCI image layout directory as a signature store: blobs under `blobs/<alg>/<hex>`, tags as
 * `org.opencontainers.image.ref.name` in `index.json`, referrers through the `sha256-<hex>` tag index
 * (a layout has no referrers API). Writers to one layout must not run concurrently.
 */
export function layoutStore(dir: string): ArtifactStore {
  const blobPath = (d: Digest) => join(dir, 'blobs', digestAlgorithm(d), digestHex(d));
  const readIndex = async (): Promise<ImageIndexManifest> => {
    try {
      return parseImageIndexManifest(await readFile(join(dir, 'index.json')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
      }
      throw new SigstoreError('STORAGE_FAILED', `reading ${dir}/index.json: invalid`, { cause: e });
    }
  };
  const readBlob = async (d: Descriptor): Promise<Uint8Array> => {
    const bytes = await readFile(blobPath(d.digest));
    verifyBytes(bytes, d.digest, d.size, 'layout blob');
    return bytes;
  };
  const store: ArtifactStore = {
    name: `oci-layout:${dir}`,
    async getManifest(reference) {
      const index = await readIndex();
      let descriptor: Descriptor | undefined;
      if ('tag' in reference) {
        descriptor = index.manifests.find((d) => d.annotations?.[Annotation.refName] === reference.tag);
      } else {
        descriptor = index.manifests.find((d) => d.digest === reference.digest);
        if (!descriptor) {
          try {
            const bytes = await readFile(blobPath(reference.digest));
            if (sha256(bytes) !== reference.digest) return undefined;
            descriptor = {
              mediaType: sniffManifestMediaType(bytes),
              digest: reference.digest,
              size: bytes.length,
            };
            return { descriptor, bytes };
          } catch {
            return undefined;
          }
        }
      }
      if (!descriptor) return undefined;
      return { descriptor, bytes: await readBlob(descriptor) };
    },
    getBlob: readBlob,
    async putBlob(descriptor, bytes) {
      verifyBytes(bytes, descriptor.digest, descriptor.size, 'blob');
      await mkdir(join(dir, 'blobs', digestAlgorithm(descriptor.digest)), { recursive: true });
      await atomicWrite(blobPath(descriptor.digest), bytes);
    },
    async putManifest(bytes, mediaType, tag) {
      const digest = sha256(bytes);
      await store.putBlob({ mediaType, digest, size: bytes.length }, bytes);
      if (tag === undefined) return digest;
      const index = await readIndex();
      const manifests = index.manifests.filter((d) => d.annotations?.[Annotation.refName] !== tag);
      manifests.push({ mediaType, digest, size: bytes.length, annotations: { [Annotation.refName]: tag } });
      await atomicWrite(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      await atomicWrite(join(dir, 'index.json'), JSON.stringify({ ...index, manifests }));
      return digest;
    },
    async listReferrers(subject) {
      const fallback = await store.getManifest({ tag: referrersFallbackTag(subject) });
      return fallback ? parseImageIndexManifest(fallback.bytes).manifests : [];
    },
  };
  return store;
}

import { type Descriptor, type Digest, parseDigest } from '@kaniko-ts/oci';
import { parseReference, type RegistryClient } from '@kaniko-ts/registry';
import type { ArtifactStore } from './artifact-store.js';
import { layoutStore } from './layout-store.js';
import { registryStore } from './registry-store.js';
import { SigstoreError } from './sigstore-error.js';
import { cosignRepositoryName } from './simple-signing.js';

/** The image to sign or verify: a registry reference, or an entry of an OCI layout. */
export type ImageTarget =
  | { registry: RegistryClient; reference: string }
  | {
      layout: string;
      tag?: string;
      digest?: string;
      /** repository name recorded in signatures (default `oci-layout`) */
      name?: string;
    };

/** Where signatures go and come from, and the image they are about. */
export interface ResolvedTarget {
  /** The image's manifest descriptor (digest resolved from a tag). */
  subject: Descriptor;
  digest: Digest;
  /** the tag the image was named by, if any */
  tag?: string;
  /** `docker-reference` for simple-signing payloads and in-toto subject names */
  repositoryName: string;
  /** `name@digest` */
  canonical: string;
  /** the store holding the image */
  imageStore: ArtifactStore;
  /** the store holding signatures (another repository with `signatureRepository`) */
  signatureStore: ArtifactStore;
}

/**
 * Resolves a target to its digest first (a tag can move; signatures are about a digest) and picks
 * the signature store: the image's repository, or `signatureRepository` (cosign's `COSIGN_REPOSITORY`).
 */
export async function resolveTarget(
  target: ImageTarget,
  signatureRepository?: string,
): Promise<ResolvedTarget> {
  if ('registry' in target) {
    const ref = parseReference(target.reference);
    const imageStore = registryStore(target.registry, ref);
    const found = await imageStore.getManifest(
      ref.digest ? { digest: parseDigest(ref.digest) } : { tag: ref.tag ?? 'latest' },
    );
    if (!found) throw new SigstoreError('NOT_FOUND', `resolving ${target.reference}: no such image`);
    const repositoryName = cosignRepositoryName(ref.registry, ref.repository);
    return {
      subject: found.descriptor,
      digest: found.descriptor.digest,
      ...(ref.digest ? {} : { tag: ref.tag ?? 'latest' }),
      repositoryName,
      canonical: `${ref.name}@${found.descriptor.digest}`,
      imageStore,
      signatureStore: signatureRepository ? registryStore(target.registry, signatureRepository) : imageStore,
    };
  }
  const imageStore = layoutStore(target.layout);
  if (!target.tag && !target.digest) {
    throw new SigstoreError('INVALID_ARGUMENT', `resolving ${target.layout}: name a tag or a digest`);
  }
  const found = await imageStore.getManifest(
    target.digest ? { digest: parseDigest(target.digest) } : { tag: target.tag as string },
  );
  if (!found)
    throw new SigstoreError(
      'NOT_FOUND',
      `resolving ${target.tag ?? target.digest} in ${target.layout}: no such image`,
    );
  const name = target.name ?? 'oci-layout';
  return {
    subject: {
      mediaType: found.descriptor.mediaType,
      digest: found.descriptor.digest,
      size: found.descriptor.size,
    },
    digest: found.descriptor.digest,
    ...(target.tag ? { tag: target.tag } : {}),
    repositoryName: name,
    canonical: `${name}@${found.descriptor.digest}`,
    imageStore,
    signatureStore: signatureRepository ? layoutStore(signatureRepository) : imageStore,
  };
}

import type { Descriptor, Digest } from '@kaniko-ts/oci';

/** A manifest as stored: its descriptor and exact bytes. */
export interface StoredManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/**
 * Where images and their signatures live: one repository of a registry, or an OCI layout directory.
 * Tags are plain tag names; everything else is addressed by digest.
 */
export interface ArtifactStore {
  /** `registry/repository` or `oci-layout:<dir>`, for reports and messages. */
  readonly name: string;
  /** The manifest a tag or digest names; `undefined` when absent. */
  getManifest(reference: { tag: string } | { digest: Digest }): Promise<StoredManifest | undefined>;
  /** A blob's bytes, verified against the descriptor. */
  getBlob(descriptor: Descriptor): Promise<Uint8Array>;
  putBlob(descriptor: Descriptor, bytes: Uint8Array): Promise<void>;
  /** Stores a manifest by digest, and under `tag` when given; returns its digest. */
  putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest>;
  /** Referrers of a subject: the referrers API where there is one, else the `sha256-<hex>` index. */
  listReferrers(subject: Digest): Promise<Descriptor[]>;
}

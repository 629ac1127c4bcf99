import { type Descriptor, type Digest, sha256, verifyBytes } from '@kaniko-ts/oci';
import { parseReference, type Reference, type RegistryClient, RegistryError } from '@kaniko-ts/registry';
import type { ArtifactStore, StoredManifest } from './artifact-store.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function absent(e: unknown): boolean {
  return e instanceof RegistryError && ['MANIFEST_UNKNOWN', 'NOT_FOUND', 'NAME_UNKNOWN'].includes(e.code);
}

/** One repository of a registry, through `@kaniko-ts/registry`. `repository` is `registry/name`. */
export function registryStore(client: RegistryClient, repository: string | Reference): ArtifactStore {
  const repo = typeof repository === 'string' ? parseReference(repository) : repository;
  const base = repo.withTag('latest');
  return {
    name: repo.name,
    async getManifest(reference): Promise<StoredManifest | undefined> {
      const ref = 'tag' in reference ? base.withTag(reference.tag) : base.withDigest(reference.digest);
      try {
        const m = await client.getManifest(ref);
        return { descriptor: m.descriptor, bytes: m.bytes };
      } catch (e) {
        if (absent(e)) return undefined;
        throw e;
      }
    },
    async getBlob(descriptor: Descriptor): Promise<Uint8Array> {
      const bytes = await collect(client.openBlob(base, descriptor));
      verifyBytes(bytes, descriptor.digest, descriptor.size, 'signature blob');
      return bytes;
    },
    async putBlob(descriptor, bytes) {
      await client.pushBlob(base, { descriptor, open: async () => bytes });
    },
    putManifest(bytes, mediaType, tag) {
      const ref = tag ? base.withTag(tag) : base.withDigest(sha256(bytes));
      return client.putManifest(ref, bytes, mediaType);
    },
    async listReferrers(subject: Digest) {
      try {
        return await client.listReferrers(base.withDigest(subject));
      } catch (e) {
        if (absent(e)) return [];
        throw e;
      }
    },
  };
}

import {
  type Descriptor,
  type Digest,
  MediaType,
  parseImageIndexManifest,
  parseImageManifest,
  sha256,
} from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore, StoredManifest } from './artifact-store.js';
import { writeReferrer } from './internal/write-artifacts.js';
import { bundleReferrerManifest } from './referrer-manifest.js';

/** An in-memory registry repository, with or without the OCI 1.1 referrers API. */
function memoryStore(referrersApi: boolean) {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, StoredManifest>();
  const tags = new Map<string, string>();
  const store: ArtifactStore = {
    name: 'memory',
    async getManifest(ref) {
      const digest = 'tag' in ref ? tags.get(ref.tag) : ref.digest;
      return digest ? manifests.get(digest) : undefined;
    },
    async getBlob(d) {
      const b = blobs.get(d.digest);
      if (!b) throw new Error('missing');
      return b;
    },
    async putBlob(d, b) {
      blobs.set(d.digest, b);
    },
    async putManifest(bytes, mediaType, tag) {
      const digest = sha256(bytes);
      manifests.set(digest, { descriptor: { mediaType, digest, size: bytes.length }, bytes });
      if (tag) tags.set(tag, digest);
      return digest;
    },
    async listReferrers(subject: Digest): Promise<Descriptor[]> {
      if (referrersApi) {
        return [...manifests.values()]
          .filter((m) => m.descriptor.mediaType === MediaType.ociManifest)
          .filter((m) => parseImageManifest(m.bytes).subject?.digest === subject)
          .map((m) => ({ ...m.descriptor, artifactType: parseImageManifest(m.bytes).artifactType ?? '' }));
      }
      const index = tags.get(`${subject.replace(':', '-')}`);
      return index ? parseImageIndexManifest(manifests.get(index)?.bytes ?? new Uint8Array()).manifests : [];
    },
  };
  return { store, tags, blobs };
}

const subject = { mediaType: MediaType.ociManifest, digest: `sha256:${'c'.repeat(64)}` as Digest, size: 10 };
const referrer = (p: string) =>
  bundleReferrerManifest({
    bundle: Buffer.from(`{"p":"${p}"}`),
    predicateType: p,
    subject,
    created: new Date(0),
  });

describe('writeReferrer', () => {
  it('does not write a fallback tag where the registry has a referrers API', async () => {
    const { store, tags, blobs } = memoryStore(true);
    const digest = await writeReferrer(store, subject.digest, referrer('a'));
    expect(tags.size).toBe(0);
    expect((await store.listReferrers(subject.digest)).map((d) => d.digest)).toEqual([digest]);
    expect(blobs.get(sha256('{}'))).toBeDefined();
  });

  it('maintains the sha256-<hex> index where it has none', async () => {
    const { store, tags } = memoryStore(false);
    const a = await writeReferrer(store, subject.digest, referrer('a'));
    const b = await writeReferrer(store, subject.digest, referrer('b'));
    await writeReferrer(store, subject.digest, referrer('a'));
    expect([...tags.keys()]).toEqual([`sha256-${'c'.repeat(64)}`]);
    expect((await store.listReferrers(subject.digest)).map((d) => d.digest)).toEqual([a, b].sort());
  });
});

import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Descriptor, MediaType, sha256 } from '@kaniko-ts/oci';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RegistryVariant, type RunningRegistry, startRegistry } from './harness/index.js';
import { clientFor } from './registry/clients.js';

// pushBlobStream against real registries (distribution): PATCH chunks leave while the blob is still
// being produced, the closing PUT names the digest known only at the end.

const variants: RegistryVariant[] = ['plain', 'auth'];
const registries = new Map<RegistryVariant, RunningRegistry>();

beforeAll(async () => {
  await Promise.all(variants.map(async (v) => registries.set(v, await startRegistry({ variant: v }))));
});
afterAll(async () => {
  await Promise.all([...registries.values()].map((r) => r.stop()));
});

/** Every request undici starts in this process (method and path), as the client sends them. */
const requests: string[] = [];
const onRequest = (message: unknown) => {
  const { request } = message as { request: { method: string; path: string } };
  requests.push(`${request.method} ${request.path.split('?')[0]}`);
};
beforeAll(() => subscribe('undici:request:create', onRequest));
afterAll(() => unsubscribe('undici:request:create', onRequest));
afterEach(() => {
  requests.length = 0;
});

/** Resolves once `test()` holds (checked every 10 ms); fails the test after 10 s. */
async function until(test: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !test(); waited += 10) {
    if (waited > 10_000) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

const CHUNK = 64 * 1024;

describe.each(variants)('pushBlobStream (%s registry)', (variant) => {
  const reg = () => registries.get(variant) as RunningRegistry;

  it('sends PATCH chunks before the blob is complete, then the PUT with its digest', async () => {
    const client = clientFor(reg(), { chunkSize: CHUNK });
    const bytes = randomBytes(5 * CHUNK + 12_345);
    const descriptor: Descriptor = {
      mediaType: MediaType.ociLayerGzip,
      digest: sha256(bytes),
      size: bytes.length,
    };
    const chunks = new PassThrough();
    let known!: (d: Descriptor) => void;
    const ref = `${reg().host}/stream/upload:1`;
    const pushed = client.pushBlobStream(ref, chunks, new Promise((resolve) => (known = resolve)));
    // the first three chunks' worth, in pieces that do not line up with the chunk size
    for (let off = 0; off < 3 * CHUNK; off += 10_000)
      chunks.write(bytes.subarray(off, Math.min(off + 10_000, 3 * CHUNK)));
    await until(() => requests.filter((r) => r.startsWith('PATCH ')).length >= 2, 'two PATCHes mid-stream');
    expect(requests.some((r) => r.startsWith('PUT '))).toBe(false);
    chunks.end(bytes.subarray(3 * CHUNK));
    known(descriptor);
    expect(await pushed).toBe('uploaded');
    expect(requests.filter((r) => r.startsWith('PATCH ')).length).toBe(6);
    expect(requests.filter((r) => r.startsWith('PUT ')).length).toBe(1);
    // the registry has the blob, and the client knows it: pushing it again sends nothing
    const back = Buffer.concat(await client.openBlob(ref, descriptor).toArray());
    expect(sha256(back)).toBe(descriptor.digest);
    requests.length = 0;
    const again = await client.pushBlob(ref, { descriptor, open: async () => bytes });
    expect(again).toBe('existed');
    expect(requests).toEqual([]);
    await client.close();
  });

  it('cancels the session and throws when the digest never comes; the blob is not stored', async () => {
    const client = clientFor(reg(), { chunkSize: CHUNK });
    const bytes = randomBytes(2 * CHUNK);
    const failed = new Error('writing the layer failed');
    const chunks = new PassThrough();
    const ref = `${reg().host}/stream/failed:1`;
    const pushed = client.pushBlobStream(ref, chunks, Promise.reject(failed));
    chunks.end(bytes);
    await expect(pushed).rejects.toBe(failed);
    expect(requests.filter((r) => r.startsWith('DELETE ')).length).toBe(1);
    const descriptor: Descriptor = {
      mediaType: MediaType.ociLayerGzip,
      digest: sha256(bytes),
      size: bytes.length,
    };
    await expect(client.openBlob(ref, descriptor).toArray()).rejects.toThrow();
    await client.close();
  });

  it('throws when the stream is destroyed with an error, and cancels the session', async () => {
    const client = clientFor(reg(), { chunkSize: CHUNK });
    const chunks = new PassThrough();
    const ref = `${reg().host}/stream/destroyed:1`;
    const pushed = client.pushBlobStream(ref, chunks, new Promise<Descriptor>(() => {}));
    chunks.write(randomBytes(CHUNK + 1));
    await until(() => requests.some((r) => r.startsWith('PATCH ')), 'a PATCH');
    const broken = new Error('compressor failed');
    chunks.destroy(broken);
    await expect(pushed).rejects.toBe(broken);
    expect(requests.filter((r) => r.startsWith('DELETE ')).length).toBe(1);
    await client.close();
  });
});

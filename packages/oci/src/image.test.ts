import { describe, expect, it } from 'vitest';
import { buildIndex } from './build-index.js';
import { sha256 } from './digest.js';
import { emptyImage } from './empty.js';
import { imageFromCore, layerByDigest } from './image.js';
import { indexFromParts, isImageIndex, resolvePlatform } from './image-index.js';
import { bytesStream, readAll } from './internal/streams.js';
import { layerFromBlob, layerUncompressedSize, withLayerDescriptor } from './layer.js';
import { layerFromBytes } from './layer-from-stream.js';
import { randomImage, randomLayerTar } from './random-image.js';

describe('imageFromCore', () => {
  it('derives the whole view from manifest bytes and a blob opener, verifying the config', async () => {
    const src = await randomImage({ layers: 2, sizePerLayer: 100 });
    const blobs = new Map<string, Uint8Array>();
    blobs.set((await src.manifest()).config.digest, await src.rawConfig());
    for (const l of await src.layers()) blobs.set(l.descriptor().digest, await readAll(await l.compressed()));
    let opened = 0;
    const img = imageFromCore({
      mediaType: src.mediaType,
      rawManifest: () => src.rawManifest(),
      blob: async (d) => {
        opened++;
        return bytesStream(blobs.get(d.digest)!);
      },
    });
    expect(await img.digest()).toBe(await src.digest());
    expect(await img.config()).toEqual(await src.config());
    const diffIds = await Promise.all((await img.layers()).map((l) => l.diffId()));
    expect(diffIds).toEqual((await src.config()).rootfs.diff_ids);
    expect(opened).toBe(1); // diffIDs come from the config, no layer was read
    const wanted = (await img.layers())[1]!;
    expect((await layerByDigest(img, diffIds[1]!)).descriptor()).toEqual(wanted.descriptor());
    await expect(layerByDigest(img, sha256('nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const bad = imageFromCore({
      mediaType: src.mediaType,
      rawManifest: () => src.rawManifest(),
      blob: async () => bytesStream(new TextEncoder().encode('{"os":"evil"}')),
    });
    await expect(bad.config()).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });
});

describe('layerFromBlob', () => {
  it('computes the diffID by decompressing when the source does not know it', async () => {
    const tar = await randomLayerTar(1, 0, 500);
    const ref = await layerFromBytes(tar, { compression: 'gzip' });
    const stored = await readAll(await ref.compressed());
    const layer = layerFromBlob({ descriptor: ref.descriptor(), open: async () => bytesStream(stored) });
    expect(await layer.diffId()).toBe(sha256(tar));
    expect(layer.uncompressedSize).toBeUndefined();
    expect(await layerUncompressedSize(layer)).toBe(tar.byteLength);
    const relabelled = withLayerDescriptor(layer, {
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    });
    expect(relabelled.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(relabelled.descriptor().digest).toBe(layer.descriptor().digest);
  });
});

describe('index views', () => {
  it('prefers the exact variant and ignores attestation manifests', async () => {
    const v6 = await randomImage({ seed: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } });
    const v7 = await randomImage({ seed: 2, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
    const att = await randomImage({ seed: 3 });
    const index = buildIndex([
      v6,
      v7,
      {
        manifest: att,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ]);
    expect((await resolvePlatform(index, { os: 'linux', architecture: 'arm' })).digest).toBe(
      await v7.digest(),
    );
    expect((await resolvePlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' })).digest).toBe(
      await v6.digest(),
    );
    await expect(resolvePlatform(index, { os: 'unknown', architecture: 'unknown' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(isImageIndex(index)).toBe(true);
    expect(isImageIndex(v6)).toBe(false);
    await expect(index.index(await v6.digest())).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    await expect(index.image(sha256('x'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
  it('nested indexes resolve through index()', async () => {
    const inner = buildIndex([emptyImage({ platform: { os: 'linux', architecture: 'amd64' } })]);
    const outer = buildIndex([inner]);
    const child = await outer.index(await inner.digest());
    expect(await child.digest()).toBe(await inner.digest());
    const missing = indexFromParts({ manifest: await outer.manifest(), children: new Map() });
    await expect(missing.index(await inner.digest())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

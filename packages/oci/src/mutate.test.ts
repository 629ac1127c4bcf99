import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendManifests, buildIndex } from './build-index.js';
import { emptyImage, emptyIndex } from './empty.js';
import { imageFromParts } from './image.js';
import { imageForPlatform } from './image-index.js';
import { readAll } from './internal/streams.js';
import { layerFromBytes } from './layer-from-stream.js';
import { MediaType } from './media-types.js';
import {
  appendLayers,
  canonical,
  withConfig,
  withCreated,
  withManifestAnnotations,
  withMediaTypes,
  withSubject,
} from './mutate.js';
import { randomImage, randomLayerTar } from './random-image.js';
import { validateImage, validateIndex } from './validate.js';

const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const amd64 = { os: 'linux', architecture: 'amd64' };

describe('emptyImage', () => {
  it('is a valid image with no layers for the platform', async () => {
    const img = emptyImage({ platform: { os: 'linux', architecture: 'arm64' } });
    await validateImage(img);
    const config = await img.config();
    expect(config).toMatchObject({
      os: 'linux',
      architecture: 'arm64',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    expect(await img.layers()).toEqual([]);
    expect(img.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(await img.digest()).toBe(sha(await img.rawManifest()));
    expect((await img.manifest()).config.digest).toBe(sha(await img.rawConfig()));
  });
  it('can be a Docker image', async () => {
    const img = emptyImage({ platform: amd64, mediaTypes: 'docker' });
    expect((await img.manifest()).config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
  });
});

describe('appendLayers', () => {
  it('grows layers, diff_ids and history together and leaves the base unchanged', async () => {
    const base = emptyImage({ platform: amd64 });
    const baseDigest = await base.digest();
    const tar = await randomLayerTar(1, 0, 1000);
    const layer = await layerFromBytes(tar, { compression: 'gzip' });
    const img = appendLayers(base, [{ layer, history: { created_by: 'COPY . /' } }]);
    await validateImage(img);
    const config = await img.config();
    expect(config.rootfs.diff_ids).toEqual([sha(tar)]);
    expect(config.history).toEqual([{ created_by: 'COPY . /' }]);
    expect((await img.manifest()).layers.map((l) => l.digest)).toEqual([layer.descriptor().digest]);
    expect(await base.digest()).toBe(baseDigest);
    expect((await base.config()).rootfs.diff_ids).toEqual([]);
    expect(await img.digest()).not.toBe(baseDigest);
  });
  it('relabels OCI layers appended to a Docker image', async () => {
    const base = emptyImage({ platform: amd64, mediaTypes: 'docker' });
    const layer = await layerFromBytes(await randomLayerTar(1, 1, 10), { compression: 'gzip' });
    const img = appendLayers(base, [layer]);
    expect((await img.manifest()).layers[0]!.mediaType).toBe(
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
    );
    await validateImage(img);
  });
});

describe('config and manifest mutations', () => {
  it('withConfig rewrites the config and its descriptor', async () => {
    const img = await randomImage({ layers: 1, sizePerLayer: 100 });
    const next = withConfig(img, (c) => ({ ...c, config: { ...c.config, Env: ['A=1'] } }));
    expect((await next.config()).config?.Env).toEqual(['A=1']);
    expect((await next.manifest()).config.digest).toBe(sha(await next.rawConfig()));
    expect((await next.config()).rootfs).toEqual((await img.config()).rootfs);
    await validateImage(next);
  });
  it('withManifestAnnotations merges and deletes', async () => {
    const img = withManifestAnnotations(emptyImage({ platform: amd64 }), { a: '1', b: '2' });
    const next = withManifestAnnotations(img, { b: undefined, c: '3' });
    expect((await next.manifest()).annotations).toEqual({ a: '1', c: '3' });
  });
  it('withSubject makes a referrer', async () => {
    const target = await randomImage({ layers: 1, sizePerLayer: 10 });
    const ref = withSubject(
      emptyImage({ platform: amd64 }),
      await target.descriptor(),
      'application/vnd.example',
    );
    const m = await ref.manifest();
    expect(m.subject).toEqual(await target.descriptor());
    expect(m.artifactType).toBe('application/vnd.example');
  });
  it('withCreated sets an RFC 3339 time', async () => {
    const img = withCreated(emptyImage({ platform: amd64 }), 1700000000);
    expect((await img.config()).created).toBe('2023-11-14T22:13:20Z');
  });
});

describe('withMediaTypes', () => {
  it('converts OCI to Docker and back without touching blobs', async () => {
    const img = await randomImage({ layers: 2, sizePerLayer: 100 });
    const docker = withMediaTypes(img, 'docker');
    const m = await docker.manifest();
    expect(docker.mediaType).toBe(MediaType.dockerManifest);
    expect(m.mediaType).toBe(MediaType.dockerManifest);
    expect(m.config.mediaType).toBe(MediaType.dockerConfig);
    expect(m.layers.every((l) => l.mediaType === MediaType.dockerLayerGzip)).toBe(true);
    expect(m.layers.map((l) => l.digest)).toEqual((await img.manifest()).layers.map((l) => l.digest));
    await validateImage(docker);
    const back = withMediaTypes(docker, 'oci');
    expect(await back.digest()).toBe(await img.digest());
  });
});

describe('canonical', () => {
  it('sets every timestamp to the epoch and is idempotent', async () => {
    const base = withConfig(await randomImage({ layers: 2, sizePerLayer: 50 }), (c) => ({
      ...c,
      created: '2024-05-01T10:00:00Z',
      container: 'abc',
      docker_version: '24.0',
      history: c.history?.map((h) => ({ ...h, created: '2024-05-01T10:00:00Z' })),
    }));
    const a = canonical(base, { epoch: 1000 });
    const c = await a.config();
    expect(c.created).toBe('1970-01-01T00:16:40Z');
    expect(c.history?.every((h) => h.created === '1970-01-01T00:16:40Z')).toBe(true);
    expect(c.container).toBeUndefined();
    expect(c.docker_version).toBeUndefined();
    expect(await canonical(a, { epoch: 1000 }).digest()).toBe(await a.digest());
    expect(await a.digest()).not.toBe(await base.digest());
    await validateImage(a);
  });
});

describe('randomImage', () => {
  it('is deterministic per seed and valid', async () => {
    const a = await randomImage({ layers: 3, sizePerLayer: 500, seed: 7 });
    const b = await randomImage({ layers: 3, sizePerLayer: 500, seed: 7 });
    const c = await randomImage({ layers: 3, sizePerLayer: 500, seed: 8 });
    expect(await a.digest()).toBe(await b.digest());
    expect(await a.digest()).not.toBe(await c.digest());
    expect((await a.layers()).length).toBe(3);
    await validateImage(a);
  });
});

describe('indexes', () => {
  it('buildIndex records platforms from configs and selects by platform', async () => {
    const amd = await randomImage({ seed: 1, platform: amd64 });
    const arm = await randomImage({ seed: 2, platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm], { annotations: { x: 'y' } });
    const m = await index.manifest();
    expect(m.manifests.map((d) => d.platform)).toEqual([amd64, { os: 'linux', architecture: 'arm64' }]);
    expect(m.annotations).toEqual({ x: 'y' });
    const picked = await imageForPlatform(index, { os: 'linux', architecture: 'aarch64' });
    expect(await picked.digest()).toBe(await arm.digest());
    await expect(imageForPlatform(index, { os: 'linux', architecture: 's390x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await validateIndex(index);
  });
  it('appendManifests keeps existing entries', async () => {
    const one = appendManifests(emptyIndex(), [await randomImage({ seed: 3 })]);
    const two = appendManifests(one, [{ manifest: await randomImage({ seed: 4 }), annotations: { k: 'v' } }]);
    const m = await two.manifest();
    expect(m.manifests.length).toBe(2);
    expect(m.manifests[1]!.annotations).toEqual({ k: 'v' });
    await validateIndex(two);
  });
});

describe('validateImage', () => {
  it('reports corrupt layer content', async () => {
    const good = await randomImage({ layers: 1, sizePerLayer: 100 });
    const layer = (await good.layers())[0]!;
    const bytes = Buffer.from(await readAll(await layer.compressed()));
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    const corrupt = imageFromParts({
      manifest: await good.manifest(),
      rawConfig: await good.rawConfig(),
      layers: [{ ...layer, compressed: async () => (await import('node:stream')).Readable.from([bytes]) }],
    });
    await expect(validateImage(corrupt)).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
  });
  it('reports diff_ids that do not match the layers', async () => {
    const img = await randomImage({ layers: 2, sizePerLayer: 100 });
    const broken = withConfig(img, (c) => ({
      ...c,
      rootfs: { type: 'layers', diff_ids: c.rootfs.diff_ids.slice(1) },
    }));
    await expect(validateImage(broken)).rejects.toThrow(/1 diff_ids for 2 layers/);
  });
});

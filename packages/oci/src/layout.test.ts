import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from './build-index.js';
import { readAll } from './internal/streams.js';
import { readLayout, writeLayout } from './layout.js';
import { randomImage } from './random-image.js';
import { validateImage, validateIndex } from './validate.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oci-layout-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('OCI layout', () => {
  it('round-trips an image by tag with identical digests', async () => {
    const dir = join(root, 'a');
    const img = await randomImage({ layers: 2, sizePerLayer: 2000 });
    const entry = await writeLayout(dir, img, { tag: 'v1' });
    expect(entry.digest).toBe(await img.digest());
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const back = await (await readLayout(dir)).image({ tag: 'v1' });
    expect(await back.digest()).toBe(await img.digest());
    expect(await Promise.all((await back.layers()).map((l) => l.diffId()))).toEqual(
      (await img.config()).rootfs.diff_ids,
    );
    await validateImage(back);
    // every blob file is named after its content
    for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
      expect(sha(await readFile(join(dir, 'blobs', 'sha256', name)))).toBe(`sha256:${name}`);
    }
  });

  it('appends, is idempotent, and moves tags', async () => {
    const dir = join(root, 'b');
    const one = await randomImage({ seed: 1 });
    const two = await randomImage({ seed: 2 });
    await writeLayout(dir, one, { tag: 'latest' });
    await writeLayout(dir, one, { tag: 'latest' });
    await writeLayout(dir, two, { tag: 'other' });
    let index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests.length).toBe(2);
    await expect((await readLayout(dir)).resolve()).rejects.toMatchObject({ code: 'AMBIGUOUS' });
    await writeLayout(dir, two, { tag: 'latest' });
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests.length).toBe(2);
    const layout = await readLayout(dir);
    expect((await layout.resolve({ tag: 'latest' })).digest).toBe(await two.digest());
    expect((await layout.resolve({ tag: 'other' })).digest).toBe(await two.digest());
    // both tags now name one manifest, so no selector is needed
    expect((await layout.resolve()).digest).toBe(await two.digest());
    await expect(layout.resolve({ tag: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await validateIndex(layout.root());
  });

  it('writes a multi-platform index and picks a platform', async () => {
    const dir = join(root, 'c');
    const amd = await randomImage({ seed: 5 });
    const arm = await randomImage({ seed: 6, platform: { os: 'linux', architecture: 'arm64' } });
    await writeLayout(dir, buildIndex([amd, arm]), { tag: 'multi' });
    const layout = await readLayout(dir);
    const picked = await layout.image({ tag: 'multi', platform: { os: 'linux', architecture: 'arm64' } });
    expect(await picked.digest()).toBe(await arm.digest());
    await expect(layout.image({ tag: 'multi' })).rejects.toMatchObject({ code: 'AMBIGUOUS' });
    await validateIndex(await layout.index({ tag: 'multi' }));
  });

  it('fails with DIGEST_MISMATCH on a corrupt layer blob', async () => {
    const dir = join(root, 'd');
    const img = await randomImage({ layers: 1, sizePerLayer: 4000 });
    await writeLayout(dir, img, { tag: 't' });
    const digest = (await img.manifest()).layers[0]!.digest;
    const path = join(dir, 'blobs', 'sha256', digest.slice(7));
    const bytes = await readFile(path);
    bytes[100] = bytes[100]! ^ 0x01;
    await writeFile(path, bytes);
    const back = await (await readLayout(dir)).image({ tag: 't' });
    const layer = (await back.layers())[0]!;
    await expect(readAll(await layer.compressed())).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(validateImage(back)).rejects.toThrow(/DIGEST|hashes to/);
  });

  it('fails with DIGEST_MISMATCH on a corrupt config', async () => {
    const dir = join(root, 'e');
    const img = await randomImage({ layers: 1, sizePerLayer: 10 });
    await writeLayout(dir, img, { tag: 't' });
    const d = (await img.manifest()).config.digest;
    const path = join(dir, 'blobs', 'sha256', d.slice(7));
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('amd64', 'arm64'));
    const back = await (await readLayout(dir)).image({ tag: 't' });
    await expect(back.config()).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('rejects a directory that is not a layout', async () => {
    await expect(readLayout(root)).rejects.toMatchObject({ code: 'INVALID_LAYOUT' });
  });
});

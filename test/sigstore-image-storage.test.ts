import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageManifest, randomImage, readLayout, writeLayout } from '@kaniko-ts/oci';
import { generateKeyPair, loadPrivateKey, SigstoreError, signImage, verifyImage } from '@kaniko-ts/sigstore';
import { describe, expect, it } from 'vitest';
import { useSigstoreImageFixture } from './sigstore/image-fixture.js';
import { pushTestImage } from './sigstore/images.js';

const fx = useSigstoreImageFixture();
const { keyless, rightPolicy } = fx;

/** Where signatures are stored (another repository, an OCI layout) and what happens when services are down. */
describe('storage options', () => {
  it('keeps signatures in another repository when asked (COSIGN_REPOSITORY)', async () => {
    const ref = `${fx.registry.host}/elsewhere/app:1`;
    const digest = await pushTestImage(fx.client, ref, 9);
    const signatureRepository = `${fx.registry.host}/signatures/store`;
    const image = { registry: fx.client, reference: ref };
    await signImage({ image, signatureRepository, ...keyless() });
    expect(await fx.client.listTags(`${fx.registry.host}/signatures/store`)).toContain(
      `sha256-${digest.slice(7)}.sig`,
    );
    expect(
      (await verifyImage({ image, signatureRepository, trustedRoot: fx.trustedRoot, policy: rightPolicy() }))
        .verified,
    ).toBe(true);
    expect((await verifyImage({ image, trustedRoot: fx.trustedRoot, policy: rightPolicy() })).verified).toBe(
      false,
    );
  });

  it('signs and verifies an image in an OCI layout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaniko-ts-sigstore-layout-'));
    try {
      await writeLayout(dir, await randomImage({ layers: 1, seed: 10 }), { tag: 'v1' });
      const files = await generateKeyPair('');
      const key = await loadPrivateKey(files.privateKeyPem, '');
      const image = { layout: dir, tag: 'v1' };
      await signImage({ image, key, witnesses: { rekorURL: fx.mock.rekorURL } });
      const report = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: { publicKey: files.publicKeyPem },
      });
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ verified: true, format: 'bundle' });
      const legacy = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: { publicKey: files.publicKeyPem },
        format: 'legacy',
      });
      expect(legacy).toMatchObject({ verified: true, format: 'legacy' });
      // the layout stays readable by @kaniko-ts/oci, with the image tag untouched
      expect((await (await readLayout(dir)).resolve({ tag: 'v1' })).digest).toBe(report.digest);
      // another image in the same layout has no signatures
      await writeLayout(dir, await randomImage({ layers: 1, seed: 12 }), { tag: 'v2' });
      const other = await verifyImage({
        image: { layout: dir, tag: 'v2' },
        trustedRoot: fx.trustedRoot,
        policy: { publicKey: files.publicKeyPem },
      });
      expect(other.verified).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a signature whose blob is gone from the layout fails with the read error, in both formats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaniko-ts-sigstore-layout-'));
    try {
      await writeLayout(dir, await randomImage({ layers: 1, seed: 14 }), { tag: 'v1' });
      const files = await generateKeyPair('');
      const key = await loadPrivateKey(files.privateKeyPem, '');
      const image = { layout: dir, tag: 'v1' };
      const signed = await signImage({ image, key, witnesses: { rekorURL: fx.mock.rekorURL } });
      expect(signed.signatures.length).toBe(2);
      const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
      for (const s of signed.signatures) {
        const manifest = parseImageManifest(readFileSync(blob(s.manifestDigest)));
        for (const layer of manifest.layers) rmSync(blob(layer.digest));
      }
      const policy = { publicKey: files.publicKeyPem };
      for (const [format, read] of [
        ['bundle', /^reading bundle: /],
        ['legacy', /^reading layer: /],
      ] as const) {
        const report = await verifyImage({ image, trustedRoot: fx.trustedRoot, policy, format });
        expect(report.verified, format).toBe(false);
        expect(report.signatures.length, format).toBe(1);
        expect(report.signatures[0]?.failure, format).toMatch(read);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unreachable services', () => {
  it('retries, then fails clearly, with nothing written to the registry', async () => {
    const ref = `${fx.registry.host}/down/app:1`;
    const digest = await pushTestImage(fx.client, ref, 11);
    const image = { registry: fx.client, reference: ref };
    const before = fx.mock.requests.rekor;
    fx.mock.failNext('rekor', 100);
    const e = await signImage({
      image,
      ...keyless(),
      witnesses: { rekorURL: fx.mock.rekorURL, retries: 2 },
    }).catch((err: unknown) => err);
    fx.mock.failNext('rekor', 0);
    expect(e).toBeInstanceOf(SigstoreError);
    expect((e as SigstoreError).code).toBe('SIGNING_FAILED');
    expect(fx.mock.requests.rekor - before).toBe(3);
    const unreachable = await signImage({
      image,
      ...keyless(),
      fulcioURL: 'http://127.0.0.1:1',
      witnesses: { rekorURL: fx.mock.rekorURL, retries: 1 },
    }).catch((err: unknown) => err);
    expect((unreachable as Error).message).toMatch(/ECONNREFUSED|connect/i);
    const tags = await fx.client.listTags(`${fx.registry.host}/down/app`);
    expect(tags).toEqual(['1']);
    expect(tags.some((t) => t.includes(digest.slice(7)))).toBe(false);
  });
});

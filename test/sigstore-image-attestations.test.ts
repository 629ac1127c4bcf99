import { MediaType, parseImageIndexManifest, parseImageManifest } from '@kaniko-ts/oci';
import {
  addToReferrersIndex,
  attestImage,
  bundleReferrerManifest,
  registryStore,
  signImage,
  timestampAnnotation,
  timestampBytes,
  verifyImage,
} from '@kaniko-ts/sigstore';
import { describe, expect, it } from 'vitest';
import { useSigstoreImageFixture } from './sigstore/image-fixture.js';
import { pushTestImage } from './sigstore/images.js';

const fx = useSigstoreImageFixture();
const { keyless, rightPolicy } = fx;

/** Attestations in both formats against a real registry and mock Sigstore: predicate types, labels, timestamps. */
describe('attestations', () => {
  it('attests in both formats and verification requires the predicate type', async () => {
    const ref = `${fx.registry.host}/attest/app:1`;
    await pushTestImage(fx.client, ref, 8);
    const image = { registry: fx.client, reference: ref };
    await signImage({ image, ...keyless() });
    const predicateType = 'https://spdx.dev/Document';
    const result = await attestImage({
      image,
      predicateType,
      predicate: { spdxVersion: 'SPDX-2.3' },
      ...keyless(),
    });
    expect(result.signatures.map((s) => s.tag ?? 'referrer')).toEqual([
      expect.stringMatching(/\.att$/),
      'referrer',
    ]);
    for (const format of ['bundle', 'legacy'] as const) {
      const ok = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: rightPolicy(),
        attestations: [predicateType],
        format,
      });
      expect(ok.failures).toEqual([]);
      expect(ok.verified).toBe(true);
      expect(ok.attestations.find((a) => a.predicateType === predicateType)?.verified).toBe(true);
      const missing = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: rightPolicy(),
        attestations: ['https://cyclonedx.org/bom'],
        format,
      });
      expect(missing.verified).toBe(false);
      expect(missing.failures.join('\n')).toMatch(/no verified https:\/\/cyclonedx.org\/bom attestation/);
    }
  });
});

describe('mislabelled referrers', () => {
  it('an attestation labelled as a signature does not count as one', async () => {
    const ref = `${fx.registry.host}/mislabel/app:1`;
    const digest = await pushTestImage(fx.client, ref, 15);
    const image = { registry: fx.client, reference: ref };
    const attested = await attestImage({
      image,
      predicateType: 'https://example.com/other',
      predicate: {},
      formats: ['bundle'],
      ...keyless(),
    });
    const store = registryStore(fx.client, `${fx.registry.host}/mislabel/app`);
    const subject = await store.getManifest({ digest: digest as `sha256:${string}` });
    if (!subject) throw new Error('no subject');
    const fake = bundleReferrerManifest({
      bundle: Buffer.from(JSON.stringify(attested.bundle)),
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      subject: subject.descriptor,
      created: new Date(),
    });
    for (const d of [fake.manifest.config, ...fake.manifest.layers]) {
      await store.putBlob(d, fake.blobs.get(d.digest) ?? new Uint8Array());
    }
    await store.putManifest(fake.bytes, MediaType.ociManifest);
    const tag = `sha256-${digest.slice(7)}`;
    const current = await store.getManifest({ tag });
    const index = addToReferrersIndex(current ? parseImageIndexManifest(current.bytes) : undefined, {
      manifest: fake.manifest,
      digest: fake.digest,
      size: fake.bytes.length,
    });
    await store.putManifest(index.bytes, MediaType.ociIndex, tag);

    const report = await verifyImage({ image, trustedRoot: fx.trustedRoot, policy: rightPolicy() });
    expect(report.verified).toBe(false);
    expect(report.signatures.map((c) => c.failure)).toEqual([
      'statement predicate https://example.com/other is not a signature',
    ]);
  });
});

describe('legacy .att timestamps', () => {
  it('are taken over the whole envelope, as cosign does, and count as the timestamp', async () => {
    const ref = `${fx.registry.host}/attest/tsa:1`;
    const digest = await pushTestImage(fx.client, ref, 14);
    const image = { registry: fx.client, reference: ref };
    const predicateType = 'https://slsa.dev/provenance/v1';
    const k = keyless();
    const tsaOnly = { tlogUpload: false, tsaURL: fx.mock.tsaURL };
    await signImage({ image, formats: ['legacy'], ...k, witnesses: tsaOnly });
    await attestImage({
      image,
      predicateType,
      predicate: { buildType: 'x' },
      formats: ['legacy'],
      ...k,
      witnesses: tsaOnly,
    });
    const attRef = `${fx.registry.host}/attest/tsa:sha256-${digest.slice(7)}.att`;
    const manifest = parseImageManifest((await fx.client.getManifest(attRef)).bytes);
    const layer = manifest.layers[0];
    if (!layer?.annotations) throw new Error('no .att layer');
    expect(layer.annotations['dev.sigstore.cosign/rfc3161timestamp']).toMatch(
      /^\{"SignedRFC3161Timestamp":"/,
    );

    // the only timestamp there is: verification must accept it as covering the envelope
    const policy = { ...rightPolicy(), tlogThreshold: 0, rfc3161Threshold: 1 };
    const ok = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy,
      attestations: [predicateType],
    });
    expect(ok.failures).toEqual([]);
    expect(ok.attestations[0]?.rfc3161Timestamps).toHaveLength(1);

    // a timestamp over other bytes does not count
    layer.annotations['dev.sigstore.cosign/rfc3161timestamp'] = timestampAnnotation(
      await timestampBytes(Buffer.from('other bytes'), { tsaURL: fx.mock.tsaURL }),
    );
    await fx.client.putManifest(attRef, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);
    const bad = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy,
      attestations: [predicateType],
    });
    expect(bad.verified).toBe(false);
    expect(bad.attestations[0]?.failure).toMatch(/timestamp|TIMESTAMP/);
  });
});

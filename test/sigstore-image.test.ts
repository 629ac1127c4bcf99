import { MediaType, parseImageIndexManifest, parseImageManifest, sha256 } from '@kaniko-ts/oci';
import { assertVerified, signImage, verifyImage } from '@kaniko-ts/sigstore';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityPolicy, useSigstoreImageFixture } from './sigstore/image-fixture.js';
import { pushTestImage } from './sigstore/images.js';

const fx = useSigstoreImageFixture();
const { keyless, rightPolicy, tamperLegacySignature } = fx;

/** Keyless signing and verification against a real registry and mock Sigstore services; tampering. */
describe('keyless sign → verify against a real registry (distribution 2.8: referrers tag fallback)', () => {
  let ref: string;
  let digest: string;

  beforeAll(async () => {
    ref = `${fx.registry.host}/keyless/app:1.0`;
    digest = await pushTestImage(fx.client, ref, 1);
  });

  it('signs by tag: resolves the digest, records both, writes .sig and the referrer bundle', async () => {
    const result = await signImage({ image: { registry: fx.client, reference: ref }, ...keyless() });
    expect(result).toMatchObject({
      digest,
      tag: '1.0',
      reference: `${fx.registry.host}/keyless/app@${digest}`,
    });
    expect(result.certificateIdentity).toBe(fx.mock.claims.sub);
    expect(result.certificateOidcIssuer).toBe(fx.mock.issuer);
    expect(result.rekorLogIndex).toBe(result.signatures[0]?.logIndex);
    expect(result.signatureRefs).toEqual([
      `${fx.registry.host}/keyless/app:sha256-${digest.slice(7)}.sig`,
      `${fx.registry.host}/keyless/app@${result.signatures[1]?.manifestDigest}`,
    ]);
    expect((result.bundle as { mediaType: string }).mediaType).toBe(
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    );
    expect(result.signatures.map((s) => s.format)).toEqual(['legacy', 'bundle']);
    expect(result.signatures.every((s) => typeof s.logIndex === 'number')).toBe(true);

    const hex = digest.slice(7);
    const tags = await fx.client.listTags(`${fx.registry.host}/keyless/app`);
    expect(tags).toEqual(expect.arrayContaining([`sha256-${hex}.sig`, `sha256-${hex}`]));
    const sig = parseImageManifest(
      (await fx.client.getManifest(`${fx.registry.host}/keyless/app:sha256-${hex}.sig`)).bytes,
    );
    const ann = sig.layers[0]?.annotations ?? {};
    expect(Object.keys(ann).sort()).toEqual([
      'dev.cosignproject.cosign/signature',
      'dev.sigstore.cosign/bundle',
      'dev.sigstore.cosign/certificate',
      'dev.sigstore.cosign/chain',
      'dev.sigstore.cosign/rfc3161timestamp',
    ]);
    expect(ann['dev.sigstore.cosign/chain']).toMatch(/BEGIN CERTIFICATE/);
    const index = parseImageIndexManifest(
      (await fx.client.getManifest(`${fx.registry.host}/keyless/app:sha256-${hex}`)).bytes,
    );
    expect(index.manifests).toEqual([
      expect.objectContaining({
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        mediaType: MediaType.ociManifest,
      }),
    ]);
  });

  it('verifies with the right identity and issuer, from bundles first and from legacy tags', async () => {
    const report = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy: rightPolicy(),
    });
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({ verified: true, format: 'bundle', digest });
    expect(report.signer?.subject).toBe(fx.mock.claims.sub);
    expect(typeof report.logIndex).toBe('number');
    const legacy = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy: { ...rightPolicy(), rfc3161Threshold: 1 },
      format: 'legacy',
    });
    expect(legacy).toMatchObject({ verified: true, format: 'legacy' });
    expect(legacy.signatures[0]?.rfc3161Timestamps).toHaveLength(1);
  });

  it('fails with a wrong identity, a wrong issuer, or a substring-only regex', async () => {
    const image = { registry: fx.client, reference: ref };
    const wrongId = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy: identityPolicy('https://github.com/evil/x', fx.mock.issuer),
    });
    expect(wrongId.verified).toBe(false);
    expect(wrongId.failures.join('\n')).toMatch(/matches none/);
    const wrongIssuer = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy: identityPolicy(String(fx.mock.claims.sub), 'https://accounts.google.com'),
    });
    expect(wrongIssuer.verified).toBe(false);
    const partial = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy: { certificate: { identities: [{ subjectRegExp: 'acme/app', issuer: fx.mock.issuer }] } },
    });
    expect(partial.verified).toBe(false);
    const legacyWrong = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy: identityPolicy('x', fx.mock.issuer),
      format: 'legacy',
    });
    expect(legacyWrong.verified).toBe(false);
  });

  it('fails for a different image re-pushed under the same tag', async () => {
    const repushed = await pushTestImage(fx.client, ref, 2);
    expect(repushed).not.toBe(digest);
    const report = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy: rightPolicy(),
    });
    expect(report).toMatchObject({ verified: false, digest: repushed, format: 'none' });
    expect(() => assertVerified(report)).toThrow(/no signatures found/);
    expect(report.failures[0]).toMatch(/no signatures found/);
    // the original digest still verifies
    const byDigest = await verifyImage({
      image: { registry: fx.client, reference: `${fx.registry.host}/keyless/app@${digest}` },
      trustedRoot: fx.trustedRoot,
      policy: rightPolicy(),
    });
    expect(byDigest.verified).toBe(true);
  });
});

describe('tampering and missing evidence', () => {
  it('fails on a tampered legacy signature layer', async () => {
    const ref = `${fx.registry.host}/tamper/legacy:1`;
    const digest = await pushTestImage(fx.client, ref, 3);
    await signImage({ image: { registry: fx.client, reference: ref }, formats: ['legacy'], ...keyless() });
    const policy = rightPolicy();
    expect(
      (
        await verifyImage({
          image: { registry: fx.client, reference: ref },
          trustedRoot: fx.trustedRoot,
          policy,
        })
      ).verified,
    ).toBe(true);

    await tamperLegacySignature(`${fx.registry.host}/tamper/legacy`, digest);

    const report = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy,
    });
    expect(report.verified).toBe(false);
    expect(report.format).toBe('legacy');
    expect(report.signatures[0]?.failure).toBeTruthy();
  });

  it('fails on a tampered bundle, and a bad bundle blocks legacy fallback as in cosign v3', async () => {
    const ref = `${fx.registry.host}/tamper/bundle:1`;
    const digest = await pushTestImage(fx.client, ref, 4);
    await signImage({ image: { registry: fx.client, reference: ref }, ...keyless() });
    const repo = `${fx.registry.host}/tamper/bundle`;
    const index = parseImageIndexManifest(
      (await fx.client.getManifest(`${repo}:sha256-${digest.slice(7)}`)).bytes,
    );
    const referrer = index.manifests[0];
    if (!referrer) throw new Error('no referrer');
    const manifest = parseImageManifest((await fx.client.getManifest(`${repo}@${referrer.digest}`)).bytes);
    const layer = manifest.layers[0];
    if (!layer) throw new Error('no layer');
    const chunks: Buffer[] = [];
    for await (const c of fx.client.openBlob(repo, layer) as AsyncIterable<Buffer>) chunks.push(c);
    const bundle = JSON.parse(Buffer.concat(chunks).toString());
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    statement.predicate = { tampered: true };
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const bytes = Buffer.from(JSON.stringify(bundle));
    const newLayer = { mediaType: layer.mediaType, digest: sha256(bytes), size: bytes.length };
    await fx.client.pushBlob(repo, { descriptor: newLayer, open: async () => bytes });
    const tampered = { ...manifest, layers: [newLayer] };
    const tamperedBytes = Buffer.from(JSON.stringify(tampered));
    const tamperedDigest = await fx.client.putManifest(
      `${repo}@${sha256(tamperedBytes)}`,
      tamperedBytes,
      MediaType.ociManifest,
    );
    const newIndex = {
      ...index,
      manifests: [{ ...referrer, digest: tamperedDigest, size: tamperedBytes.length }],
    };
    await fx.client.putManifest(
      `${repo}:sha256-${digest.slice(7)}`,
      Buffer.from(JSON.stringify(newIndex)),
      MediaType.ociIndex,
    );

    const report = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy: rightPolicy(),
    });
    expect(report.verified).toBe(false);
    expect(report.format).toBe('bundle');
    expect(report.signatures[0]?.failure).toMatch(/payload hash mismatch|signature/i);
    // the legacy .sig is intact and verifies when asked for explicitly
    const legacy = await verifyImage({
      image: { registry: fx.client, reference: ref },
      trustedRoot: fx.trustedRoot,
      policy: rightPolicy(),
      format: 'legacy',
    });
    expect(legacy.verified).toBe(true);
  });

  it('fails when a log entry is required but the signature was only timestamped', async () => {
    const ref = `${fx.registry.host}/notlog/app:1`;
    await pushTestImage(fx.client, ref, 5);
    const k = keyless();
    const result = await signImage({
      image: { registry: fx.client, reference: ref },
      ...k,
      witnesses: { tlogUpload: false, tsaURL: fx.mock.tsaURL },
    });
    expect(result.signatures.every((s) => s.logIndex === undefined)).toBe(true);
    const image = { registry: fx.client, reference: ref };
    const required = await verifyImage({ image, trustedRoot: fx.trustedRoot, policy: rightPolicy() });
    expect(required.verified).toBe(false);
    expect(required.failures.join('\n')).toMatch(/tlog/);
    const waived = await verifyImage({
      image,
      trustedRoot: fx.trustedRoot,
      policy: { ...rightPolicy(), tlogThreshold: 0, rfc3161Threshold: 1 },
    });
    expect(waived.verified).toBe(true);
  });
});

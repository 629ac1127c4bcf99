import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { MediaType, parseImageManifest, sha256 } from '@kaniko-ts/oci';
import {
  CosignAnnotation,
  generateKeyPair,
  legacySignatureManifest,
  loadPrivateKey,
  registryStore,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signImage,
  simpleSigningPayload,
  verifyBundle,
  verifyImage,
} from '@kaniko-ts/sigstore';
import { describe, expect, it } from 'vitest';
import { useSigstoreImageFixture } from './sigstore/image-fixture.js';
import { pushTestImage } from './sigstore/images.js';

const fx = useSigstoreImageFixture();
const { tamperLegacySignature } = fx;

/** Key-based signing with every key type cosign supports, against a real registry and mock Sigstore. */
describe('key-based round trip', () => {
  it('signs with a cosign key (uploaded to Rekor) and verifies only with that key', async () => {
    const files = await generateKeyPair('pw');
    const key = await loadPrivateKey(files.privateKeyPem, 'pw');
    const ref = `${fx.registry.host}/keyed/app:1`;
    const digest = await pushTestImage(fx.client, ref, 6);
    const image = { registry: fx.client, reference: ref };
    await signImage({ image, key, witnesses: { rekorURL: fx.mock.rekorURL } });
    for (const format of ['bundle', 'legacy'] as const) {
      const ok = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: { publicKey: files.publicKeyPem },
        format,
      });
      expect(ok.failures).toEqual([]);
      expect(ok.verified).toBe(true);
      expect(ok.signatures[0]?.tlogEntries).toHaveLength(1);
      const other = await generateKeyPair('');
      const bad = await verifyImage({
        image,
        trustedRoot: fx.trustedRoot,
        policy: { publicKey: other.publicKeyPem },
        format,
      });
      expect(bad.verified).toBe(false);
    }
    const policy = { publicKey: files.publicKeyPem };
    // tampered legacy signature
    await tamperLegacySignature(`${fx.registry.host}/keyed/app`, digest);
    const tampered = await verifyImage({ image, trustedRoot: fx.trustedRoot, policy, format: 'legacy' });
    expect(tampered.verified).toBe(false);
    expect(tampered.signatures[0]?.failure).toMatch(/signature/i);
    // a different image re-pushed under the tag
    await pushTestImage(fx.client, ref, 60);
    const repushed = await verifyImage({ image, trustedRoot: fx.trustedRoot, policy });
    expect(repushed).toMatchObject({ verified: false, format: 'none' });
  });

  it('without Rekor verifies only with the log waived (cosign --insecure-ignore-tlog)', async () => {
    const files = await generateKeyPair('');
    const key = await loadPrivateKey(files.privateKeyPem, '');
    const ref = `${fx.registry.host}/keyed/nolog:1`;
    await pushTestImage(fx.client, ref, 7);
    const image = { registry: fx.client, reference: ref };
    await signImage({ image, key, witnesses: { tlogUpload: false } });
    expect(
      (await verifyImage({ image, policy: { publicKey: files.publicKeyPem, tlogThreshold: 0 } })).verified,
    ).toBe(true);
    expect(
      (await verifyImage({ image, trustedRoot: fx.trustedRoot, policy: { publicKey: files.publicKeyPem } }))
        .verified,
    ).toBe(false);
    // bad input is an error, not a failed report
    await expect(verifyImage({ image, policy: { publicKey: files.publicKeyPem } })).rejects.toThrow(
      /trusted root is required/,
    );
    await expect(verifyImage({ image, trustedRoot: fx.trustedRoot, policy: {} })).rejects.toThrow(
      /needs a certificate identity or a public key/,
    );
  });
});

describe('P-384, P-521 and Ed25519 keys', () => {
  it.each(['ecdsa-p384', 'ecdsa-p521', 'ed25519'] as const)(
    "%s: both formats with and without Rekor (the .sig logged under the key's hash), verified from the registry",
    async (type) => {
      const files = await generateKeyPair('', { type });
      const key = await loadPrivateKey(files.privateKeyPem, '');
      const ref = `${fx.registry.host}/keyed/${type}:1`;
      await pushTestImage(fx.client, ref, type.length + 20);
      const image = { registry: fx.client, reference: ref };
      const result = await signImage({ image, key, witnesses: { tlogUpload: false } });
      expect(result.signatures.map((s) => s.format)).toEqual(['legacy', 'bundle']);
      const policy = { publicKey: files.publicKeyPem, tlogThreshold: 0 };
      for (const format of ['legacy', 'bundle'] as const) {
        const report = await verifyImage({ image, policy, format });
        expect(report.failures).toEqual([]);
        expect(report).toMatchObject({ verified: true, format });
        const other = (await generateKeyPair('', { type })).publicKeyPem;
        const bad = await verifyImage({ image, policy: { ...policy, publicKey: other }, format });
        expect(bad.verified).toBe(false);
      }

      // with Rekor: the .sig payload is logged as a hashedrekord under the key's hash (cosign's)
      const logged = `${fx.registry.host}/keyed/${type}:logged`;
      const loggedDigest = await pushTestImage(fx.client, logged, type.length + 40);
      const loggedImage = { registry: fx.client, reference: logged };
      await expect(
        signImage({ image: loggedImage, key, witnesses: { rekorURL: fx.mock.rekorURL, rekorVersion: 2 } }),
      ).rejects.toThrow(/Rekor v2 entries for .sig payloads/);
      const signed = await signImage({ image: loggedImage, key, witnesses: { rekorURL: fx.mock.rekorURL } });
      expect(signed.signatures.map((s) => s.format)).toEqual(['legacy', 'bundle']);
      const sigManifest = parseImageManifest(
        (await fx.client.getManifest(`${fx.registry.host}/keyed/${type}:sha256-${loggedDigest.slice(7)}.sig`))
          .bytes,
      );
      const rekorBundle = JSON.parse(sigManifest.layers[0]?.annotations?.[CosignAnnotation.bundle] ?? '{}');
      const body = JSON.parse(Buffer.from(rekorBundle.Payload.body, 'base64').toString());
      const sigLayer = sigManifest.layers[0];
      if (!sigLayer) throw new Error('no .sig layer');
      const payloadBlob = await registryStore(fx.client, `${fx.registry.host}/keyed/${type}`).getBlob(
        sigLayer,
      );
      const hash = type === 'ecdsa-p384' ? 'sha384' : 'sha512';
      expect(body.spec.data.hash).toEqual({
        algorithm: hash,
        value: createHash(hash).update(payloadBlob).digest('hex'),
      });
      for (const format of ['legacy', 'bundle'] as const) {
        const report = await verifyImage({
          image: loggedImage,
          trustedRoot: fx.trustedRoot,
          policy: { publicKey: files.publicKeyPem },
          format,
        });
        expect(report.failures).toEqual([]);
        expect(report).toMatchObject({ verified: true, format });
        expect(report.signatures[0]?.tlogEntries).toHaveLength(1);
      }
      // the returned bundle of the legacy signature agrees with its entry
      const legacyOnly = await signImage({
        image: loggedImage,
        key,
        formats: ['legacy'],
        witnesses: { rekorURL: fx.mock.rekorURL },
      });
      expect(
        verifyBundle({
          bundle: legacyOnly.bundle,
          trustedRoot: fx.trustedRoot,
          artifact: payloadBlob,
          policy: { publicKey: files.publicKeyPem },
        }).tlogEntries,
      ).toHaveLength(1);
    },
  );
});

describe('a .sig layer made the way cosign makes one with a P-384 key', () => {
  /** Logs a hashedrekord entry in the mock Rekor and returns cosign's bundle annotation for it. */
  async function rekorAnnotation(hash: 'sha256' | 'sha384', sig: Buffer, publicKeyPem: string, data: Buffer) {
    const entry = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: hash, value: createHash(hash).update(data).digest('hex') } },
        signature: {
          content: sig.toString('base64'),
          publicKey: { content: Buffer.from(publicKeyPem).toString('base64') },
        },
      },
    };
    const res = await fetch(`${fx.mock.rekorURL}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(entry),
    });
    expect(res.status).toBe(201);
    type Logged = {
      body: string;
      integratedTime: number;
      logIndex: number;
      logID: string;
      verification: { signedEntryTimestamp: string };
    };
    const [logged] = Object.values((await res.json()) as Record<string, Logged>);
    if (!logged) throw new Error('mock Rekor returned no entry');
    const { body, integratedTime, logIndex, logID, verification } = logged;
    return JSON.stringify({
      SignedEntryTimestamp: verification.signedEntryTimestamp,
      Payload: { body, integratedTime, logIndex, logID },
    });
  }

  async function pushSig(repo: string, digest: string, sig: Buffer, bundle: string, payload: Buffer) {
    const layer = {
      descriptor: {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        digest: sha256(payload),
        size: payload.length,
        annotations: {
          [CosignAnnotation.signature]: sig.toString('base64'),
          [CosignAnnotation.bundle]: bundle,
        },
      },
      blob: payload,
    };
    const artifact = legacySignatureManifest([layer]);
    const store = registryStore(fx.client, repo);
    for (const d of [artifact.manifest.config, ...artifact.manifest.layers]) {
      const bytes = artifact.blobs.get(d.digest);
      if (bytes) await store.putBlob(d, bytes);
    }
    await store.putManifest(artifact.bytes, MediaType.ociManifest, `sha256-${digest.slice(7)}.sig`);
  }

  it('verifies ECDSA-SHA384 with a SHA-384 hashedrekord entry, rejects one over SHA-256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const policy = { publicKey: publicKeyPem };
    for (const [i, hash] of (['sha384', 'sha256'] as const).entries()) {
      const repo = `${fx.registry.host}/keyed/cosign-p384-${hash}`;
      const digest = await pushTestImage(fx.client, `${repo}:1`, 70 + i);
      const payload = Buffer.from(simpleSigningPayload({ dockerReference: repo, digest }));
      const sig = sign(hash, payload, privateKey);
      await pushSig(repo, digest, sig, await rekorAnnotation(hash, sig, publicKeyPem, payload), payload);
      const report = await verifyImage({
        image: { registry: fx.client, reference: `${repo}:1` },
        trustedRoot: fx.trustedRoot,
        policy,
      });
      if (hash === 'sha384') {
        expect(report.failures).toEqual([]);
        expect(report).toMatchObject({ verified: true, format: 'legacy' });
        expect(report.signatures[0]?.tlogEntries[0]?.kind).toBe('hashedrekord/0.0.1');
      } else {
        expect(report.verified).toBe(false);
        expect(report.signatures[0]?.failure).toMatch(/signature verification failed/);
      }
    }
  });
});

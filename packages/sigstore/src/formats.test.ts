import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ImageManifest } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { legacyAttestationLayer, legacySignatureLayer } from './legacy-layers.js';
import { legacySignatureManifest, legacyTag } from './legacy-manifest.js';
import { addToReferrersIndex, bundleReferrerManifest, referrersFallbackTag } from './referrer-manifest.js';
import { cosignRepositoryName, parseSimpleSigning, simpleSigningPayload } from './simple-signing.js';
import { parseBundle } from './verify-bundle.js';

/** Expected bytes are written out literally from the research notes' description of cosign/ggcr output. */
const hex = '97fc'.padEnd(64, '0');
const DIGEST = `sha256:${hex}`;
const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const conformance = new URL('../../../../shared/conformance/', import.meta.url);
const v01 = JSON.parse(
  readFileSync(new URL('sigstore-bundle-verify/happy-path-v0.1/bundle.sigstore.json', conformance), 'utf8'),
);
const attestation = readFileSync(new URL('cosign/oci-attestation.sigstore.json', conformance));

describe('simple-signing payload', () => {
  it('is byte-for-byte what cosign emits, with optional null', () => {
    const bytes = simpleSigningPayload({ dockerReference: '127.0.0.1:5000/app', digest: DIGEST });
    expect(Buffer.from(bytes).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it('sorts annotations and escapes like Go', () => {
    const bytes = simpleSigningPayload({
      dockerReference: 'ghcr.io/org/app',
      digest: DIGEST,
      annotations: { zeta: '1', alpha: '<&>' },
    });
    expect(Buffer.from(bytes).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"ghcr.io/org/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":{"alpha":"\\u003c\\u0026\\u003e","zeta":"1"}}`,
    );
    expect(parseSimpleSigning(bytes).optional).toEqual({ alpha: '<&>', zeta: '1' });
  });

  it('names Docker Hub repositories as go-containerregistry does', () => {
    expect(cosignRepositoryName('docker.io', 'busybox')).toBe('index.docker.io/library/busybox');
    expect(cosignRepositoryName('docker.io', 'org/x')).toBe('index.docker.io/org/x');
    expect(cosignRepositoryName('127.0.0.1:5000', 'a/b')).toBe('127.0.0.1:5000/a/b');
  });

  it('rejects payloads of another type', () => {
    expect(() => parseSimpleSigning(Buffer.from('{"critical":{"type":"x","image":{}}}'))).toThrow(
      /not a cosign/,
    );
  });
});

describe('legacy .sig manifest', () => {
  const payload = simpleSigningPayload({ dockerReference: '127.0.0.1:5000/app', digest: DIGEST });
  const bundle = parseBundle(v01);
  const tlog = v01.verificationMaterial.tlogEntries[0];
  const certPem = new X509Certificate(
    Buffer.from(v01.verificationMaterial.x509CertificateChain.certificates[0].rawBytes, 'base64'),
  ).toString();

  it('tags are sha256-<hex>.sig/.att and the referrers fallback sha256-<hex>', () => {
    expect(legacyTag(DIGEST, 'sig')).toBe(`sha256-${hex}.sig`);
    expect(legacyTag(DIGEST, 'att')).toBe(`sha256-${hex}.att`);
    expect(referrersFallbackTag(DIGEST)).toBe(`sha256-${hex}`);
  });

  it('carries cosign annotations: signature, certificate, chain, bundle', () => {
    const layer = legacySignatureLayer(payload, bundle);
    const expectedBundle = `{"SignedEntryTimestamp":"${tlog.inclusionPromise.signedEntryTimestamp}","Payload":{"body":"${tlog.canonicalizedBody}","integratedTime":${tlog.integratedTime},"logIndex":${tlog.logIndex},"logID":"${Buffer.from(tlog.logId.keyId, 'base64').toString('hex')}"}}`;
    expect(layer.descriptor.annotations).toEqual({
      'dev.cosignproject.cosign/signature': v01.messageSignature.signature,
      'dev.sigstore.cosign/certificate': certPem,
      'dev.sigstore.cosign/chain': '',
      'dev.sigstore.cosign/bundle': expectedBundle,
    });
    expect(certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(layer.blob).toBe(payload);
  });

  it('carries the RFC 3161 timestamp annotation as cosign writes it', () => {
    const der = Buffer.from('3082 stand-in DER');
    const stamped = parseBundle({
      ...v01,
      verificationMaterial: {
        ...v01.verificationMaterial,
        timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: der.toString('base64') }] },
      },
    });
    const ann = legacySignatureLayer(payload, stamped).descriptor.annotations ?? {};
    expect(ann['dev.sigstore.cosign/rfc3161timestamp']).toBe(
      `{"SignedRFC3161Timestamp":"${der.toString('base64')}"}`,
    );
  });

  it('manifest and config are byte-for-byte what go-containerregistry writes', () => {
    const layer = legacySignatureLayer(payload, bundle, { chainPem: 'CHAIN' });
    const out = legacySignatureManifest([layer]);
    const config = `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha(payload)}"]},"config":{}}`;
    const ann = layer.descriptor.annotations ?? {};
    const expected =
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
      `"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.length},"digest":"${sha(config)}"},` +
      `"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${payload.length},"digest":"${sha(payload)}",` +
      `"annotations":{"dev.cosignproject.cosign/signature":${JSON.stringify(ann['dev.cosignproject.cosign/signature'])},` +
      `"dev.sigstore.cosign/bundle":${JSON.stringify(ann['dev.sigstore.cosign/bundle'])},` +
      `"dev.sigstore.cosign/certificate":${JSON.stringify(certPem)},"dev.sigstore.cosign/chain":"CHAIN"}}]}`;
    expect(Buffer.from(out.bytes).toString()).toBe(expected);
    expect(out.digest).toBe(sha(expected));
    expect(Buffer.from(out.blobs.get(sha(config) as never) ?? []).toString()).toBe(config);
    expect(out.blobs.get(sha(payload) as never)).toBe(payload);
  });

  it('appends to an existing manifest and does not duplicate a signature', () => {
    const first = legacySignatureManifest([legacySignatureLayer(payload, bundle)]);
    const other = simpleSigningPayload({
      dockerReference: '127.0.0.1:5000/app',
      digest: `sha256:${'1'.repeat(64)}`,
    });
    const existing = {
      manifest: first.manifest as ImageManifest,
      config: first.blobs.get(first.manifest.config.digest),
    };
    const second = legacySignatureManifest([legacySignatureLayer(other, bundle)], existing);
    expect(second.manifest.layers.map((l) => l.digest)).toEqual([sha(payload), sha(other)]);
    const config = JSON.parse(Buffer.from(second.blobs.get(second.manifest.config.digest) ?? []).toString());
    expect(config.rootfs.diff_ids).toEqual([sha(payload), sha(other)]);
    expect(config.history).toHaveLength(2);
    expect(second.blobs.has(sha(payload) as never)).toBe(false);
    const again = legacySignatureManifest([legacySignatureLayer(payload, bundle)], existing);
    expect(again.digest).toBe(first.digest);
  });
});

describe('legacy .att layer', () => {
  it('is the DSSE envelope as logged, with predicateType and an empty signature annotation', () => {
    const bundle = parseBundle(attestation);
    const layer = legacyAttestationLayer(bundle);
    const json = JSON.parse(attestation.toString());
    const env = json.dsseEnvelope;
    expect(Buffer.from(layer.blob).toString()).toBe(
      `{"payload":"${env.payload}","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"${env.signatures[0].sig}"}]}`,
    );
    expect(layer.descriptor.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
    expect(layer.descriptor.annotations?.predicateType).toBe('https://cosign.sigstore.dev/attestation/v1');
    expect(layer.descriptor.annotations?.['dev.cosignproject.cosign/signature']).toBe('');
    // cosign checks the Rekor dsse entry's envelopeHash against sha256(layer bytes)
    const body = JSON.parse(
      Buffer.from(json.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64').toString(),
    );
    expect(body.kind).toBe('dsse');
    expect(typeof body.spec.envelopeHash.value).toBe('string');
  });
});

describe('Sigstore bundle referrer', () => {
  const subject = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    size: 1234,
  } as const;
  const bundleBytes = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');

  it('manifest is byte-for-byte what cosign WriteReferrer writes', () => {
    const out = bundleReferrerManifest({
      bundle: bundleBytes,
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      subject: { ...subject, annotations: { dropped: 'yes' } },
      created: new Date('2026-11-22T21:00:00.456Z'),
    });
    const expected =
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
      `"config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"},` +
      `"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":${bundleBytes.length},"digest":"${sha(bundleBytes)}"}],` +
      `"annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1","org.opencontainers.image.created":"2026-11-22T21:00:00Z"},` +
      `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234,"digest":"${DIGEST}"},` +
      `"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`;
    expect(Buffer.from(out.bytes).toString()).toBe(expected);
    expect(
      Buffer.from(
        out.blobs.get('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a') ?? [],
      ).toString(),
    ).toBe('{}');
  });

  it('fallback index is what go-containerregistry writes: sorted, de-duplicated, no annotations', () => {
    const a = bundleReferrerManifest({
      bundle: bundleBytes,
      predicateType: 'p1',
      subject,
      created: new Date(0),
    });
    const b = bundleReferrerManifest({
      bundle: bundleBytes,
      predicateType: 'p2',
      subject,
      created: new Date(0),
    });
    const [lo, hi] = [a, b].sort((x, y) => (x.digest < y.digest ? -1 : 1));
    if (!lo || !hi) throw new Error('unreachable');
    const first = addToReferrersIndex(undefined, {
      manifest: hi.manifest,
      digest: hi.digest,
      size: hi.bytes.length,
    });
    const second = addToReferrersIndex(first.index, {
      manifest: lo.manifest,
      digest: lo.digest,
      size: lo.bytes.length,
    });
    const again = addToReferrersIndex(second.index, {
      manifest: lo.manifest,
      digest: lo.digest,
      size: lo.bytes.length,
    });
    const entry = (m: typeof lo) =>
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":${m.bytes.length},"digest":"${m.digest}","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`;
    const expected = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[${entry(lo)},${entry(hi)}]}`;
    expect(Buffer.from(second.bytes).toString()).toBe(expected);
    expect(Buffer.from(again.bytes).toString()).toBe(expected);
  });
});

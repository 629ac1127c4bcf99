import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256 } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { CosignAnnotation, rekorBundleAnnotation } from './cosign-annotations.js';
import { bundleFromLegacyLayer } from './legacy-bundle.js';
import { DSSE_ENVELOPE_MEDIA_TYPE } from './legacy-layers.js';
import { parseTrustedRoot } from './trusted-root.js';
import { parseBundle, verifyBundle } from './verify-bundle.js';

const dir = new URL('../../../../shared/conformance/cosign/', import.meta.url);
const json = JSON.parse(readFileSync(new URL('oci-attestation.sigstore.json', dir), 'utf8'));
const trustedRoot = parseTrustedRoot(readFileSync(new URL('trusted_root_pgi.json', dir)));
const DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const policy = {
  certificate: { identities: [{ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' }] },
};

/** The `.att` layer cosign v2 writes for this attestation: its envelope exactly as it sent it to Rekor. */
function cosignAttLayer(blob: Buffer) {
  const bundle = parseBundle(json);
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (!entry) throw new Error('fixture has no tlog entry');
  const cert = new X509Certificate(
    Buffer.from(json.verificationMaterial.certificate.rawBytes, 'base64'),
  ).toString();
  const descriptor = {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    digest: sha256(blob),
    size: blob.length,
    annotations: {
      [CosignAnnotation.signature]: '',
      [CosignAnnotation.certificate]: cert,
      [CosignAnnotation.chain]: '',
      [CosignAnnotation.bundle]: rekorBundleAnnotation(entry) ?? '',
      [CosignAnnotation.predicateType]: 'https://cosign.sigstore.dev/attestation/v1',
    },
  };
  return descriptor;
}

describe('legacy .att written by cosign', () => {
  const env = json.dsseEnvelope;
  // Go's dsse.Envelope field order: payloadType, payload, signatures[{keyid, sig}]
  const goEnvelope = Buffer.from(
    `{"payloadType":"${env.payloadType}","payload":"${env.payload}","signatures":[{"keyid":"","sig":"${env.signatures[0].sig}"}]}`,
  );

  it('verifies against the real Rekor entry, whose envelope hash covers exactly these bytes', () => {
    const bundle = bundleFromLegacyLayer(cosignAttLayer(goEnvelope), goEnvelope);
    const r = verifyBundle({ bundle, trustedRoot, policy, digest: DIGEST });
    expect(r.signer?.subject).toBe('cody@soyland.com');
    expect(r.tlogEntries[0]?.logIndex).toBe(175508996);
  });

  it('fails when the layer is the same envelope serialized differently (cosign checks the hash)', () => {
    const reordered = Buffer.from(
      JSON.stringify({ payload: env.payload, payloadType: env.payloadType, signatures: env.signatures }),
    );
    expect(() => bundleFromLegacyLayer(cosignAttLayer(reordered), reordered)).toThrow(/envelope hash/);
  });

  it('fails for another image digest', () => {
    const bundle = bundleFromLegacyLayer(cosignAttLayer(goEnvelope), goEnvelope);
    expect(() =>
      verifyBundle({ bundle, trustedRoot, policy, digest: DIGEST.replace('7321', '7322') }),
    ).toThrow(/subject does not name/);
  });
});

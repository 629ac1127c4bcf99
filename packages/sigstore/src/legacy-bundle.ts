import { createHash, X509Certificate } from 'node:crypto';
import type { Descriptor } from '@kaniko-ts/oci';
import { BUNDLE_V01_MEDIA_TYPE } from '@sigstore/bundle';
import { CosignAnnotation, parseRekorBundle, parseTimestampAnnotation } from './cosign-annotations.js';
import { DSSE_ENVELOPE_MEDIA_TYPE } from './legacy-layers.js';
import { SigstoreError } from './sigstore-error.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** Rekor hashedrekord hash names → the bundle's `HashAlgorithm` names. */
const HASHES: Record<string, string> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

type RekorBody = {
  kind?: string;
  apiVersion?: string;
  spec?: { envelopeHash?: { value?: string }; data?: { hash?: { algorithm?: string } } };
};

function rekorBody(annotations: Record<string, string>): RekorBody | undefined {
  const text = annotations[CosignAnnotation.bundle];
  if (!text) return undefined;
  const body = Buffer.from(parseRekorBundle(text).Payload.body, 'base64');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'reading cosign rekor bundle: entry body is not JSON', {
      cause,
    });
  }
}

function tlogEntries(annotations: Record<string, string>, blob: Uint8Array, dsse: boolean): object[] {
  const parsed = rekorBody(annotations);
  const text = annotations[CosignAnnotation.bundle];
  if (!parsed || !text) return [];
  const rekor = parseRekorBundle(text);
  // cosign's trap: a dsse entry's envelope hash must be that of the exact layer bytes.
  if (dsse && parsed.kind === 'dsse' && parsed.spec?.envelopeHash?.value !== sha256(blob).toString('hex')) {
    throw new SigstoreError(
      'VERIFICATION_FAILED',
      'verifying .att layer: rekor envelope hash does not match the layer',
    );
  }
  return [
    {
      logIndex: String(rekor.Payload.logIndex),
      logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
      kindVersion: { kind: parsed.kind, version: parsed.apiVersion },
      integratedTime: String(rekor.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
      canonicalizedBody: rekor.Payload.body,
    },
  ];
}

function material(annotations: Record<string, string>): object {
  const pem = annotations[CosignAnnotation.certificate];
  if (!pem) return { publicKey: { hint: '' } };
  let der: Buffer;
  try {
    der = new X509Certificate(pem).raw;
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'reading cosign certificate annotation: not a certificate', {
      cause,
    });
  }
  return { x509CertificateChain: { certificates: [{ rawBytes: der.toString('base64') }] } };
}

/** cosign's `.att` RFC 3161 timestamps, which cover the envelope (see `verifyBundle`'s `envelopeTimestamps`). */
export function legacyEnvelopeTimestamps(descriptor: Descriptor): Buffer[] {
  const ts = descriptor.annotations?.[CosignAnnotation.rfc3161Timestamp];
  return ts && descriptor.mediaType === DSSE_ENVELOPE_MEDIA_TYPE ? [parseTimestampAnnotation(ts)] : [];
}

/**
 * A Sigstore bundle (v0.1 shape) equivalent to one layer of a legacy cosign `.sig` or `.att`
 * manifest, so that sigstore-js verifies it: message signature over the payload (`.sig`) or the DSSE
 * envelope (`.att`), the certificate annotation, the Rekor entry and SET from the bundle annotation,
 * and the RFC 3161 timestamp (`.sig` only, where cosign stamps the signature).
 */
export function bundleFromLegacyLayer(descriptor: Descriptor, blob: Uint8Array): Record<string, unknown> {
  const annotations = descriptor.annotations ?? {};
  const dsse = descriptor.mediaType === DSSE_ENVELOPE_MEDIA_TYPE;
  if (!dsse && descriptor.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) {
    throw new SigstoreError(
      'BUNDLE_INVALID',
      `reading cosign layer: unexpected media type ${descriptor.mediaType}`,
    );
  }
  const verificationMaterial: Record<string, unknown> = {
    ...material(annotations),
    tlogEntries: tlogEntries(annotations, blob, dsse),
  };
  const ts = annotations[CosignAnnotation.rfc3161Timestamp];
  if (ts && !dsse) {
    verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: [{ signedTimestamp: parseTimestampAnnotation(ts).toString('base64') }],
    };
  }
  if (dsse) {
    let envelope: {
      payload?: unknown;
      payloadType?: unknown;
      signatures?: { sig?: unknown; keyid?: unknown }[];
    };
    try {
      envelope = JSON.parse(Buffer.from(blob).toString('utf8'));
    } catch (cause) {
      throw new SigstoreError('BUNDLE_INVALID', 'reading .att layer: not a DSSE envelope', { cause });
    }
    if (!Array.isArray(envelope.signatures) || envelope.signatures.length !== 1) {
      throw new SigstoreError('BUNDLE_INVALID', 'reading .att layer: want exactly one DSSE signature');
    }
    return {
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial,
      dsseEnvelope: {
        payload: envelope.payload,
        payloadType: envelope.payloadType,
        signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
      },
    };
  }
  const signature = annotations[CosignAnnotation.signature];
  if (!signature) throw new SigstoreError('BUNDLE_INVALID', 'reading .sig layer: no signature annotation');
  // The digest names the hash the Rekor entry logged (SHA-384/512 for cosign's P-384/P-521 keys,
  // whose hashedrekord Rekor checks against that digest); computed here from the payload itself.
  const logged = rekorBody(annotations)?.spec?.data?.hash?.algorithm ?? 'sha256';
  const algorithm = HASHES[logged];
  if (!algorithm) {
    throw new SigstoreError('BUNDLE_INVALID', `reading .sig layer: unsupported rekor hash ${logged}`);
  }
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial,
    messageSignature: {
      messageDigest: { algorithm, digest: createHash(logged).update(blob).digest().toString('base64') },
      signature,
    },
  };
}

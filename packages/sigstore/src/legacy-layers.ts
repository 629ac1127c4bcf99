import { X509Certificate } from 'node:crypto';
import { type Descriptor, sha256 } from '@kaniko-ts/oci';
import { type Bundle, envelopeToJSON } from '@sigstore/bundle';
import { CosignAnnotation, rekorBundleAnnotation, timestampAnnotation } from './cosign-annotations.js';
import { parseStatement } from './in-toto-statement.js';
import { SigstoreError } from './sigstore-error.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** One layer of a legacy `.sig`/`.att` manifest with its blob. */
export interface LegacyLayer {
  descriptor: Descriptor;
  blob: Uint8Array;
}

function derToPem(der: Uint8Array): string {
  return new X509Certificate(Buffer.from(der)).toString();
}

/** Leaf certificate PEM and chain PEM of a bundle (chain from the bundle, else `chainPem`). */
function certificates(bundle: Bundle, chainPem?: string): { certificate?: string; chain?: string } {
  const vm = bundle.verificationMaterial.content;
  if (vm.$case === 'certificate') {
    return { certificate: derToPem(vm.certificate.rawBytes), chain: chainPem ?? '' };
  }
  if (vm.$case === 'x509CertificateChain') {
    const [leaf, ...rest] = vm.x509CertificateChain.certificates;
    if (!leaf) return {};
    const chain = rest.length ? rest.map((c) => derToPem(c.rawBytes)).join('') : (chainPem ?? '');
    return { certificate: derToPem(leaf.rawBytes), chain };
  }
  return {};
}

function witnessAnnotations(bundle: Bundle, includeTimestamp: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const entry = bundle.verificationMaterial.tlogEntries[0];
  const rekor = entry && rekorBundleAnnotation(entry);
  if (rekor) out[CosignAnnotation.bundle] = rekor;
  const ts = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps[0];
  if (includeTimestamp && ts)
    out[CosignAnnotation.rfc3161Timestamp] = timestampAnnotation(ts.signedTimestamp);
  return out;
}

function layer(mediaType: string, blob: Uint8Array, annotations: Record<string, string>): LegacyLayer {
  return { descriptor: { mediaType, digest: sha256(blob), size: blob.length, annotations }, blob };
}

/**
 * The `.sig` layer cosign writes for a message signature over a simple-signing `payload`: the payload
 * as blob, the base64 signature, certificate and chain (keyless), the Rekor bundle and the RFC 3161
 * timestamp (which, as in cosign, covers the raw signature bytes).
 */
export function legacySignatureLayer(
  payload: Uint8Array,
  bundle: Bundle,
  options: { chainPem?: string } = {},
): LegacyLayer {
  if (bundle.content.$case !== 'messageSignature') {
    throw new SigstoreError('INVALID_ARGUMENT', 'building .sig layer: bundle is not a message signature');
  }
  const { certificate, chain } = certificates(bundle, options.chainPem);
  return layer(SIMPLE_SIGNING_MEDIA_TYPE, payload, {
    [CosignAnnotation.signature]: Buffer.from(bundle.content.messageSignature.signature).toString('base64'),
    ...(certificate
      ? { [CosignAnnotation.certificate]: certificate, [CosignAnnotation.chain]: chain ?? '' }
      : {}),
    ...witnessAnnotations(bundle, true),
  });
}

/** The exact envelope string sigstore-js submits to Rekor for a DSSE bundle (and thus the `.att` blob). */
export function envelopeBytes(bundle: Bundle): Uint8Array {
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new SigstoreError('INVALID_ARGUMENT', 'serializing DSSE envelope: bundle is not DSSE');
  }
  return Buffer.from(JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope)));
}

/**
 * The `.att` layer cosign writes for a DSSE attestation: the envelope byte-identical to the one
 * logged in Rekor, an empty signature annotation and the statement's `predicateType`. The bundle's
 * RFC 3161 timestamps cover the signature, cosign's `.att` timestamp covers the whole envelope: pass
 * one obtained over {@link envelopeBytes} as `envelopeTimestamp`.
 */
export function legacyAttestationLayer(
  bundle: Bundle,
  options: { chainPem?: string; envelopeTimestamp?: Uint8Array } = {},
): LegacyLayer {
  const blob = envelopeBytes(bundle);
  const statement =
    bundle.content.$case === 'dsseEnvelope' ? parseStatement(bundle.content.dsseEnvelope.payload) : undefined;
  const { certificate, chain } = certificates(bundle, options.chainPem);
  return layer(DSSE_ENVELOPE_MEDIA_TYPE, blob, {
    [CosignAnnotation.signature]: '',
    ...(certificate
      ? { [CosignAnnotation.certificate]: certificate, [CosignAnnotation.chain]: chain ?? '' }
      : {}),
    ...witnessAnnotations(bundle, false),
    ...(options.envelopeTimestamp
      ? { [CosignAnnotation.rfc3161Timestamp]: timestampAnnotation(options.envelopeTimestamp) }
      : {}),
    [CosignAnnotation.predicateType]: statement?.predicateType ?? '',
  });
}

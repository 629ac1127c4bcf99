import { RFC3161Timestamp } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';

/**
 * cosign's legacy `.att` RFC 3161 timestamps cover the whole DSSE envelope, not the signature a
 * Sigstore bundle's timestamps cover. This presents `envelope` as the timestamped bytes to
 * sigstore-js (which then checks the TSA chain and validity as for any timestamp) while signature and
 * log checks still use the envelope's signature.
 */
export function withEnvelopeTimestamps(
  entity: SignedEntity,
  envelope: Uint8Array,
  timestamps: readonly Uint8Array[],
): SignedEntity {
  const inner = entity.signature;
  return {
    ...entity,
    signature: {
      signature: Buffer.from(envelope),
      compareSignature: (s) => inner.compareSignature(s),
      compareDigest: (d) => inner.compareDigest(d),
      compareSignedDigest: (d) => inner.compareSignedDigest(d),
      verifySignature: (k) => inner.verifySignature(k),
    },
    timestamps: [
      ...entity.timestamps,
      ...timestamps.map((der) => ({
        $case: 'timestamp-authority' as const,
        timestamp: RFC3161Timestamp.parse(Buffer.from(der)),
      })),
    ],
  };
}

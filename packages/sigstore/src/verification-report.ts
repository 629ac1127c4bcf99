import type { Digest } from '@kaniko-ts/oci';
import type { SignerIdentity } from './identity-policy.js';
import type { TlogEntrySummary } from './verify-bundle.js';

/** One signature or attestation that was found, and what became of it. */
export interface SignatureCheck {
  format: 'bundle' | 'legacy';
  /** where it was found: a referrer manifest digest, or `<tag> layer <n>` */
  source: string;
  /** for attestations and bundles: the statement's predicate type */
  predicateType?: string;
  verified: boolean;
  /** keyless signer (verified checks only) */
  signer?: SignerIdentity;
  /** key-based: the key that verified, SPKI PEM */
  publicKey?: string;
  tlogEntries: TlogEntrySummary[];
  rfc3161Timestamps: string[];
  /** why it did not verify */
  failure?: string;
}

/** The machine-readable outcome of `verifyImage`. */
export interface VerificationReport {
  /** `name@digest` that was verified */
  reference: string;
  digest: Digest;
  tag?: string;
  verified: boolean;
  /** which storage format was read (bundles first, legacy tags otherwise, as cosign v3) */
  format: 'bundle' | 'legacy' | 'none';
  signatures: SignatureCheck[];
  attestations: SignatureCheck[];
  requiredAttestations: { predicateType: string; satisfied: boolean }[];
  /** first verified signer, for convenience */
  signer?: SignerIdentity;
  /** first verified signature's Rekor log index */
  logIndex?: number;
  failures: string[];
}

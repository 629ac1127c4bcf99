import { KanikoError } from '@kaniko-ts/oci';

/** Why a Sigstore operation failed; adapters map these to exit statuses and messages. */
export type SigstoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'KEY_INVALID'
  | 'KEY_PASSWORD'
  | 'KEY_UNSUPPORTED'
  | 'TRUSTED_ROOT_INVALID'
  | 'TRUSTED_ROOT_UNAVAILABLE'
  | 'BUNDLE_INVALID'
  | 'VERIFICATION_FAILED'
  | 'POLICY_MISMATCH'
  | 'IDENTITY_TOKEN'
  | 'SIGNING_FAILED'
  | 'STORAGE_FAILED'
  | 'NOT_FOUND';

/** The one error class of `@kaniko-ts/sigstore`. Messages never contain tokens or passwords. */
export class SigstoreError extends KanikoError<SigstoreErrorCode> {}

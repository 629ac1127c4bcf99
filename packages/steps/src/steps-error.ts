import { KanikoError } from '@kaniko-ts/oci';

/** Codes a step (not the library it calls) can fail with. */
export type StepsErrorCode =
  | 'INVALID_INPUT'
  | 'MISSING_INPUT'
  | 'NOT_AVAILABLE'
  | 'OIDC_UNAVAILABLE'
  | 'VERIFICATION_FAILED'
  | 'STEP_FAILED';

/** The one error class of `@kaniko-ts/steps`: input validation, identity and wiring failures. */
export class StepsError extends KanikoError<StepsErrorCode> {}

import { KanikoError } from '@kaniko-ts/oci';

/** Codes of every error the sbom package throws on purpose. */
export type SbomErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'NOT_RETAINED'
  | 'LAYER_READ'
  | 'PARSE'
  | 'INVALID_PURL';

/** The one error class of `@kaniko-ts/sbom`. */
export class SbomError extends KanikoError<SbomErrorCode> {}

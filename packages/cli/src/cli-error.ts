import { KanikoError } from '@kaniko-ts/oci';

export type CliErrorCode = 'USAGE' | 'OIDC_UNAVAILABLE';

/** The one error class of `@kaniko-ts/cli`: command-line usage problems. */
export class CliError extends KanikoError<CliErrorCode> {}

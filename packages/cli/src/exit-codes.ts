import { KanikoError } from '@kaniko-ts/oci';

/** Exit statuses of `kaniko-ts`, documented in `--help` and the README. */
export const EXIT_CODES = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  verificationFailed: 3,
  notAvailable: 4,
  interrupted: 130,
} as const;

export const EXIT_CODE_HELP: readonly (readonly [number, string])[] = [
  [EXIT_CODES.ok, 'the step succeeded'],
  [EXIT_CODES.stepFailed, 'the step failed (build error, registry error, signing error…)'],
  [EXIT_CODES.usage, 'usage error: unknown flag, invalid or missing input'],
  [EXIT_CODES.verificationFailed, 'verify: the image is not signed or attested as required'],
  [EXIT_CODES.notAvailable, 'the step is not available in this build'],
  [EXIT_CODES.interrupted, 'interrupted (SIGINT)'],
];

/** Maps an error to the exit status: by its code when it is one of ours, 1 otherwise. */
export function exitCodeOf(error: unknown): number {
  if (!(error instanceof KanikoError)) return EXIT_CODES.stepFailed;
  switch (error.code) {
    case 'INVALID_INPUT':
    case 'MISSING_INPUT':
    case 'USAGE':
      return EXIT_CODES.usage;
    case 'VERIFICATION_FAILED':
      return EXIT_CODES.verificationFailed;
    case 'NOT_AVAILABLE':
      return EXIT_CODES.notAvailable;
    default:
      return EXIT_CODES.stepFailed;
  }
}

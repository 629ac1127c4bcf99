import {
  attestSbomSpec,
  attestSpec,
  buildSpec,
  generateKeyPairSpec,
  indexSpec,
  policySpec,
  type StepSpec,
  sbomSpec,
  signSpec,
  verifySpec,
} from '@kaniko-ts/steps';

/**
 * Every command's spec, in the order the help lists them (the order of `allSteps`; a test checks
 * both lists match). Parsing flags and printing help need only these: the steps themselves, and the
 * libraries they call, are loaded once a command runs (see load-step.ts).
 */
export const commandSpecs: readonly StepSpec[] = [
  buildSpec,
  signSpec,
  attestSbomSpec,
  verifySpec,
  indexSpec,
  generateKeyPairSpec,
  policySpec,
  sbomSpec,
  attestSpec,
];

import { runAttest } from './attest/run.js';
import { attestSpec } from './attest/spec.js';
import { runAttestSbom } from './attest-sbom/run.js';
import { attestSbomSpec } from './attest-sbom/spec.js';
import { runBuild } from './build/run.js';
import { buildSpec } from './build/spec.js';
import { type AnyStep, anyStep, defineStep } from './define-step.js';
import { runGenerateKeyPair } from './generate-key-pair/run.js';
import { generateKeyPairSpec } from './generate-key-pair/spec.js';
import { runIndex } from './index/run.js';
import { indexSpec } from './index/spec.js';
import { runPolicy } from './policy/run.js';
import { policySpec } from './policy/spec.js';
import { runSbom } from './sbom/run.js';
import { sbomSpec } from './sbom/spec.js';
import { runSign } from './sign/run.js';
import { signSpec } from './sign/spec.js';
import { runVerify } from './verify/run.js';
import { verifySpec } from './verify/spec.js';

export const buildStep = defineStep(buildSpec, runBuild);
export const signStep = defineStep(signSpec, runSign);
export const attestSbomStep = defineStep(attestSbomSpec, runAttestSbom);
export const verifyStep = defineStep(verifySpec, runVerify);
export const indexStep = defineStep(indexSpec, runIndex);
export const generateKeyPairStep = defineStep(generateKeyPairSpec, runGenerateKeyPair);
export const policyStep = defineStep(policySpec, runPolicy);
export const sbomStep = defineStep(sbomSpec, runSbom);
export const attestStep = defineStep(attestSpec, runAttest);

/** Every step, in the order the CLI's help lists them. */
export const allSteps: readonly AnyStep[] = [
  buildStep,
  signStep,
  attestSbomStep,
  verifyStep,
  indexStep,
  generateKeyPairStep,
  policyStep,
  sbomStep,
  attestStep,
].map((s) => anyStep(s as never));

/** The step named `name`, or undefined. */
export function findStep(name: string): AnyStep | undefined {
  return allSteps.find((s) => s.spec.name === name);
}

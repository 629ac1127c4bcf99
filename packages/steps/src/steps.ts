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

export const buildStep = /* @__PURE__ */ defineStep(buildSpec, runBuild);
export const signStep = /* @__PURE__ */ defineStep(signSpec, runSign);
export const attestSbomStep = /* @__PURE__ */ defineStep(attestSbomSpec, runAttestSbom);
export const verifyStep = /* @__PURE__ */ defineStep(verifySpec, runVerify);
export const indexStep = /* @__PURE__ */ defineStep(indexSpec, runIndex);
export const generateKeyPairStep = /* @__PURE__ */ defineStep(generateKeyPairSpec, runGenerateKeyPair);
export const policyStep = /* @__PURE__ */ defineStep(policySpec, runPolicy);
export const sbomStep = /* @__PURE__ */ defineStep(sbomSpec, runSbom);
export const attestStep = /* @__PURE__ */ defineStep(attestSpec, runAttest);

/** Every step, in the order the CLI's help lists them. */
export const allSteps: readonly AnyStep[] = /* @__PURE__ */ [
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

import { attestSpec } from './attest/spec.js';
import { attestSbomSpec } from './attest-sbom/spec.js';
import { buildSpec } from './build/spec.js';
import { type AnyStep, anyStep, defineStep } from './define-step.js';
import { generateKeyPairSpec } from './generate-key-pair/spec.js';
import { indexSpec } from './index/spec.js';
import { policySpec } from './policy/spec.js';
import { sbomSpec } from './sbom/spec.js';
import { signSpec } from './sign/spec.js';
import { verifySpec } from './verify/spec.js';

// Each step's run loads its module (and the libraries it calls) on first use: a command, action or
// test that runs one step does not evaluate the others' (sigstore, sbom, builder).
export const buildStep = /* @__PURE__ */ defineStep(buildSpec, async (ctx, inputs) =>
  (await import('./build/run.js')).runBuild(ctx, inputs),
);
export const signStep = /* @__PURE__ */ defineStep(signSpec, async (ctx, inputs) =>
  (await import('./sign/run.js')).runSign(ctx, inputs),
);
export const attestSbomStep = /* @__PURE__ */ defineStep(attestSbomSpec, async (ctx, inputs) =>
  (await import('./attest-sbom/run.js')).runAttestSbom(ctx, inputs),
);
export const verifyStep = /* @__PURE__ */ defineStep(verifySpec, async (ctx, inputs) =>
  (await import('./verify/run.js')).runVerify(ctx, inputs),
);
export const indexStep = /* @__PURE__ */ defineStep(indexSpec, async (ctx, inputs) =>
  (await import('./index/run.js')).runIndex(ctx, inputs),
);
export const generateKeyPairStep = /* @__PURE__ */ defineStep(generateKeyPairSpec, async (ctx, inputs) =>
  (await import('./generate-key-pair/run.js')).runGenerateKeyPair(ctx, inputs),
);
export const policyStep = /* @__PURE__ */ defineStep(policySpec, async (ctx, inputs) =>
  (await import('./policy/run.js')).runPolicy(ctx, inputs),
);
export const sbomStep = /* @__PURE__ */ defineStep(sbomSpec, async (ctx, inputs) =>
  (await import('./sbom/run.js')).runSbom(ctx, inputs),
);
export const attestStep = /* @__PURE__ */ defineStep(attestSpec, async (ctx, inputs) =>
  (await import('./attest/run.js')).runAttest(ctx, inputs),
);

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

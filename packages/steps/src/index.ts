export type { AttestRequest } from './attest/run.js';
export { attestSpec } from './attest/spec.js';
export type { AttestSbomRequest, AttestSbomResult } from './attest-sbom/run.js';
export { attestSbomSpec } from './attest-sbom/spec.js';
export { type BuildRequest, toBuildRequest } from './build/build-request.js';
export type { BuildInstruction, BuildResult } from './build/build-result.js';
export { callBuild } from './build/call-build.js';
export { runBuild } from './build/run.js';
export { buildSpec } from './build/spec.js';
export { type AnyStep, anyStep, defineSpec, defineStep, type Step } from './define-step.js';
export { generateKeyPairSpec } from './generate-key-pair/spec.js';
export type { IndexRequest, IndexResult } from './index/run.js';
export { indexSpec } from './index/spec.js';
export type { RegistryOptions } from './internal/registry-options.js';
export { repositoryOf } from './internal/repository-of.js';
export type { SignerOptions, SigningOptions } from './internal/signer-options.js';
export { type ParsedInputs, parseInputs, type RawInputs, splitList } from './parse-inputs.js';
export { policySpec } from './policy/spec.js';
export type { SbomRequest } from './sbom/run.js';
export { sbomSpec } from './sbom/spec.js';
export type { SignRequest, SignResult } from './sign/run.js';
export { signSpec } from './sign/spec.js';
export type {
  IdentityProvider,
  Logger,
  LogLevel,
  SourceLocation,
  StepContext,
  SummarySection,
} from './step-context.js';
export {
  type InferInputs,
  type InferOutputs,
  type InputSpec,
  type InputType,
  type OutputSpec,
  onSurface,
  type StepSpec,
  type Surface,
} from './step-spec.js';
export {
  allSteps,
  attestSbomStep,
  attestStep,
  buildStep,
  findStep,
  generateKeyPairStep,
  indexStep,
  policyStep,
  sbomStep,
  signStep,
  verifyStep,
} from './steps.js';
export { StepsError, type StepsErrorCode } from './steps-error.js';
export type { VerifyIdentity, VerifyRequest, VerifyResult } from './verify/run.js';
export { verifySpec } from './verify/spec.js';
export { yamlString } from './yaml-string.js';

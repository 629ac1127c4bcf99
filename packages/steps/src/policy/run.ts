import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { callExportPolicy, PREDICATE_TYPES, toVerifyIdentity } from '../verify/run.js';
import type { policySpec } from './spec.js';

/** Writes the policy to `output`, or to the log (standard output on the CLI) when no file is given. */
export async function runPolicy(
  ctx: StepContext,
  inputs: InferInputs<typeof policySpec>,
): Promise<InferOutputs<typeof policySpec>> {
  const policy = await callExportPolicy(
    {
      images: inputs.images,
      identity: toVerifyIdentity(inputs),
      requiredAttestations: inputs['require-attestation'].map((t) => PREDICATE_TYPES[t.toLowerCase()] ?? t),
      format: inputs.format,
      name: inputs.name,
    },
    ctx.workspace,
  );
  if (!inputs.output) {
    ctx.log.info(policy);
    return { 'policy-path': '' };
  }
  const path = isAbsolute(inputs.output) ? inputs.output : resolve(ctx.workspace, inputs.output);
  await writeFile(path, policy);
  return { 'policy-path': path };
}

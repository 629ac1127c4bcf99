import type { StepContext } from '../step-context.js';
import { generateKeyPairStep } from '../steps.js';
import { stepInputs } from './step-inputs.js';

/**
 * Runs the generate-key-pair step (files `<prefix>.key` / `<prefix>.pub`) and returns its outputs
 * with the environment that hands the private key and its password to the sign step.
 */
export async function cosignKeyPair(ctx: StepContext, prefix: string, password: string) {
  const keys = await generateKeyPairStep.run(
    ctx,
    stepInputs(generateKeyPairStep.spec, { 'output-key-prefix': prefix }, { COSIGN_PASSWORD: password }),
  );
  const keyEnv = { COSIGN_PRIVATE_KEY: keys['private-key-path'], COSIGN_PASSWORD: password };
  return { keys, keyEnv };
}

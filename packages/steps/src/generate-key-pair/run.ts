import { isAbsolute, resolve } from 'node:path';
import { notAvailable } from '../internal/not-available.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { generateKeyPairSpec } from './spec.js';

/** Binding to `@kaniko-ts/sigstore`'s key generation: writes `<prefix>.key` (encrypted) and `<prefix>.pub`. */
export async function callGenerateKeyPair(_request: {
  privateKeyPath: string;
  publicKeyPath: string;
  password: string;
}): Promise<void> {
  return notAvailable('generate-key-pair');
}

export async function runGenerateKeyPair(
  ctx: StepContext,
  inputs: InferInputs<typeof generateKeyPairSpec>,
): Promise<InferOutputs<typeof generateKeyPairSpec>> {
  const prefix = inputs['output-key-prefix'];
  const base = isAbsolute(prefix) ? prefix : resolve(ctx.workspace, prefix);
  const request = {
    privateKeyPath: `${base}.key`,
    publicKeyPath: `${base}.pub`,
    password: inputs.password ?? '',
  };
  await callGenerateKeyPair(request);
  return { 'private-key-path': request.privateKeyPath, 'public-key-path': request.publicKeyPath };
}

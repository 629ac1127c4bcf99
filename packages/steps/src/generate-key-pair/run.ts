import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { generateKeyPair } from '@kaniko-ts/sigstore';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import type { generateKeyPairSpec } from './spec.js';

/** `generateKeyPair` from @kaniko-ts/sigstore; writes `<prefix>.key` (encrypted, 0600) and `<prefix>.pub`. */
export async function callGenerateKeyPair(request: {
  privateKeyPath: string;
  publicKeyPath: string;
  password: string;
}): Promise<void> {
  for (const path of [request.privateKeyPath, request.publicKeyPath]) {
    if (existsSync(path))
      throw new StepsError('INVALID_INPUT', `generating a key pair: ${path} exists; not overwriting it`);
  }
  const pair = await generateKeyPair(request.password);
  await writeFile(request.privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(request.publicKeyPath, pair.publicKeyPem);
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

import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { notAvailable } from '../internal/not-available.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { PREDICATE_TYPES } from '../verify/run.js';
import type { attestSpec } from './spec.js';

/** What the step asks of `@kaniko-ts/sigstore`'s `attestImage`. */
export interface AttestRequest extends SigningOptions {
  image: string;
  predicatePath: string;
  predicateType: string;
  registry: RegistryOptions;
}

export async function callAttestImage(_request: AttestRequest): Promise<{
  digest: string;
  attestationRefs: string[];
  bundle: unknown;
  rekorLogIndex?: number;
}> {
  return notAvailable('attest');
}

export async function runAttest(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSpec>,
): Promise<InferOutputs<typeof attestSpec>> {
  const request: AttestRequest = {
    ...(await toSigningOptions(ctx, 'attest', inputs)),
    image: inputs.image,
    predicatePath: isAbsolute(inputs.predicate) ? inputs.predicate : resolve(ctx.workspace, inputs.predicate),
    predicateType: PREDICATE_TYPES[inputs.type.toLowerCase()] ?? inputs.type,
    registry: toRegistryOptions(inputs, ctx.env),
  };
  const result = await callAttestImage(request);
  const bundlePath = join(ctx.tempDir, `attestation-${result.digest.replace(':', '-')}.sigstore.json`);
  await writeFile(bundlePath, JSON.stringify(result.bundle));
  return {
    digest: result.digest,
    'attestation-ref': result.attestationRefs.join('\n'),
    'bundle-path': bundlePath,
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
  };
}

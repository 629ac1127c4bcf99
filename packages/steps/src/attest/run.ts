import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { attestImage } from '@kaniko-ts/sigstore';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import { signResultOf, sigstoreSigning } from '../internal/sigstore-call.js';
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

/** `attestImage` from @kaniko-ts/sigstore with the predicate file's JSON. */
export async function callAttestImage(
  request: AttestRequest,
  workspace: string,
): Promise<{ digest: string; attestationRefs: string[]; bundle: unknown; rekorLogIndex?: number }> {
  const registry = createRegistryClient(request.registry, [request.image]);
  try {
    const predicate = JSON.parse(await readFile(request.predicatePath, 'utf8')) as unknown;
    const options = await sigstoreSigning(request, request.image, registry, workspace);
    const r = signResultOf(
      await attestImage({ ...options, predicateType: request.predicateType, predicate }),
    );
    return {
      digest: r.digest,
      attestationRefs: r.refs,
      bundle: r.bundle,
      ...(r.rekorLogIndex !== undefined ? { rekorLogIndex: r.rekorLogIndex } : {}),
    };
  } finally {
    await registry.close();
  }
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
  const result = await callAttestImage(request, ctx.workspace);
  const bundlePath = join(ctx.tempDir, `attestation-${result.digest.replace(':', '-')}.sigstore.json`);
  await writeFile(bundlePath, JSON.stringify(result.bundle));
  return {
    digest: result.digest,
    'attestation-ref': result.attestationRefs.join('\n'),
    'bundle-path': bundlePath,
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
  };
}

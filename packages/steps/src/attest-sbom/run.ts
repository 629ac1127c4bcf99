import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { notAvailable } from '../internal/not-available.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { attestSbomSpec } from './spec.js';

/** What the step asks of the library (`attestSbom`: @kaniko-ts/sbom generates, @kaniko-ts/sigstore attests). */
export interface AttestSbomRequest extends SigningOptions {
  image: string;
  sbomFormat: 'spdx-json' | 'cyclonedx-json';
  /** Absolute path of an existing SBOM to attest instead of generating one. */
  predicatePath?: string;
  /** Absolute path the SBOM is written to. */
  outputPath: string;
  registry: RegistryOptions;
}

export interface AttestSbomResult {
  digest: string;
  imageRef: string;
  attestationRefs: string[];
  predicateType: string;
  packages: number;
  bundle: unknown;
  rekorLogIndex?: number;
  certificateIdentity?: string;
}

/** Binding to the library; replaced at integration. */
export async function callAttestSbom(_request: AttestSbomRequest): Promise<AttestSbomResult> {
  return notAvailable('attest-sbom');
}

export async function toAttestSbomRequest(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSbomSpec>,
): Promise<AttestSbomRequest> {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.workspace, p));
  const ext = inputs['sbom-format'] === 'spdx-json' ? 'spdx.json' : 'cdx.json';
  const request: AttestSbomRequest = {
    ...(await toSigningOptions(ctx, 'attest-sbom', inputs)),
    image: inputs.image,
    sbomFormat: inputs['sbom-format'],
    outputPath: inputs['output-file'] ? at(inputs['output-file']) : join(ctx.tempDir, `sbom.${ext}`),
    registry: toRegistryOptions(inputs, ctx.env),
  };
  if (inputs.predicate) request.predicatePath = at(inputs.predicate);
  return request;
}

export async function attestSbomOutputs(
  ctx: StepContext,
  request: AttestSbomRequest,
  result: AttestSbomResult,
): Promise<InferOutputs<typeof attestSbomSpec>> {
  const bundlePath = join(ctx.tempDir, `sbom-attestation-${result.digest.replace(':', '-')}.sigstore.json`);
  await writeFile(bundlePath, JSON.stringify(result.bundle));
  ctx.addSummary({
    title: 'SBOM attestation',
    rows: [
      ['image', result.imageRef],
      ['predicate type', result.predicateType],
      ['packages', String(result.packages)],
      ['stored at', result.attestationRefs.join(', ')],
      ['identity', result.certificateIdentity ?? 'cosign key'],
      ['rekor log index', result.rekorLogIndex?.toString() ?? 'not logged'],
    ],
  });
  return {
    digest: result.digest,
    'image-ref': result.imageRef,
    'attestation-ref': result.attestationRefs.join('\n'),
    'predicate-type': result.predicateType,
    'sbom-path': request.predicatePath ?? request.outputPath,
    'bundle-path': bundlePath,
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
    packages: String(result.packages),
  };
}

export async function runAttestSbom(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSbomSpec>,
): Promise<InferOutputs<typeof attestSbomSpec>> {
  return ctx.group(`attest SBOM of ${inputs.image}`, async () => {
    const request = await toAttestSbomRequest(ctx, inputs);
    return attestSbomOutputs(ctx, request, await callAttestSbom(request));
  });
}

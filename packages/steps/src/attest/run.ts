import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { provenanceStatement } from '@kaniko-ts/sbom';
import { attestImage } from '@kaniko-ts/sigstore';
import { writeBundleFile } from '../internal/bundle-file.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { repositoryOf } from '../internal/repository-of.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import { signResultOf, sigstoreSigning } from '../internal/sigstore-call.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import { PREDICATE_TYPES } from '../verify/run.js';
import { builderIdOf, contextDigest, SLSA_PROVENANCE_V1 } from './provenance.js';
import type { attestSpec } from './spec.js';

/** cosign's `--type` names (`cmd/cosign/cli/options/predicate.go`), then verify's short names. */
const ATTEST_TYPES: Readonly<Record<string, string>> = {
  spdxjson: 'https://spdx.dev/Document',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: SLSA_PROVENANCE_V1,
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  ...PREDICATE_TYPES,
};

/** A `--type` value as a predicate type URI. */
export function predicateTypeOf(type: string): string {
  return ATTEST_TYPES[type.toLowerCase()] ?? type;
}

/** What the step asks of `@kaniko-ts/sigstore`'s `attestImage`. */
export interface AttestRequest extends SigningOptions {
  image: string;
  /** The predicate itself (a parsed JSON value). */
  predicate: unknown;
  predicateType: string;
  registry: RegistryOptions;
}

export interface AttestResult {
  digest: string;
  imageRef: string;
  attestationRefs: string[];
  bundle: unknown;
  rekorLogIndex?: number;
  certificateIdentity?: string;
}

/** `attestImage` from @kaniko-ts/sigstore: one signed in-toto statement, stored as the signing options say. */
export async function callAttestImage(request: AttestRequest, workspace: string): Promise<AttestResult> {
  const registry = createRegistryClient(request.registry, [request.image]);
  try {
    const options = await sigstoreSigning(request, request.image, registry, workspace);
    const r = signResultOf(
      await attestImage({ ...options, predicateType: request.predicateType, predicate: request.predicate }),
    );
    return {
      digest: r.digest,
      imageRef: r.imageRef,
      attestationRefs: r.refs,
      bundle: r.bundle,
      ...(r.rekorLogIndex !== undefined ? { rekorLogIndex: r.rekorLogIndex } : {}),
      ...(r.certificateIdentity !== undefined ? { certificateIdentity: r.certificateIdentity } : {}),
    };
  } finally {
    await registry.close();
  }
}

/**
 * Signs `predicate` about `inputs.image` with the step's signing inputs and attaches it; writes the
 * bundle next to the run's temp files. Shared by `attest` and the build step's `provenance: true`.
 */
export async function attestPredicate(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSpec>,
  predicate: unknown,
): Promise<InferOutputs<typeof attestSpec> & { 'image-ref': string }> {
  const predicateType = predicateTypeOf(inputs.type);
  const request: AttestRequest = {
    ...(await toSigningOptions(ctx, 'attest', inputs)),
    image: inputs.image,
    predicate,
    predicateType,
    registry: toRegistryOptions(inputs, ctx.env),
  };
  const result = await callAttestImage(request, ctx.workspace);
  const bundlePath = await writeBundleFile(ctx, 'attestation', result.digest, result.bundle);
  ctx.addSummary({
    title: 'Attestation',
    rows: [
      ['image', result.imageRef],
      ['predicate type', predicateType],
      ['stored at', result.attestationRefs.join(', ')],
      ['identity', result.certificateIdentity ?? 'cosign key'],
      ['rekor log index', result.rekorLogIndex?.toString() ?? 'not logged'],
    ],
  });
  return {
    digest: result.digest,
    'image-ref': result.imageRef,
    'predicate-type': predicateType,
    'attestation-ref': result.attestationRefs.join('\n'),
    'bundle-path': bundlePath,
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
  };
}

/**
 * Provenance of the CI run when no predicate file is given (as actions/attest does without a
 * predicate): subject, source commit and run from the environment, optionally the Dockerfile and
 * context digests.
 */
async function ciProvenance(ctx: StepContext, inputs: InferInputs<typeof attestSpec>): Promise<unknown> {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.workspace, p));
  const digest = /@(sha256:[a-f0-9]{64})$/.exec(inputs.image)?.[1];
  if (digest === undefined) {
    throw new StepsError(
      'INVALID_INPUT',
      `attesting provenance of ${inputs.image}: give the image by digest (repo@sha256:…)`,
    );
  }
  const root = inputs.context ? at(inputs.context) : undefined;
  const dockerfile = inputs.dockerfile ? at(inputs.dockerfile) : undefined;
  const statement = provenanceStatement({
    subjects: [{ name: repositoryOf(inputs.image), digest }],
    ...(root ? { context: { digest: await contextDigest(root, dockerfile ? { dockerfile } : {}) } } : {}),
    ...(dockerfile
      ? {
          dockerfile: {
            path: inputs.dockerfile as string,
            digest: `sha256:${createHash('sha256')
              .update(await readFile(dockerfile))
              .digest('hex')}`,
          },
        }
      : {}),
    builderId: builderIdOf(ctx.env),
    env: ctx.env,
    finishedOn: ctx.clock.now(),
  });
  return statement.predicate;
}

export async function runAttest(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSpec>,
): Promise<InferOutputs<typeof attestSpec>> {
  return ctx.group(`attest ${inputs.image}`, async () => {
    let predicate: unknown;
    if (inputs.predicate) {
      const path = isAbsolute(inputs.predicate) ? inputs.predicate : resolve(ctx.workspace, inputs.predicate);
      predicate = JSON.parse(await readFile(path, 'utf8')) as unknown;
    } else if (predicateTypeOf(inputs.type) === SLSA_PROVENANCE_V1) {
      predicate = await ciProvenance(ctx, inputs);
    } else {
      throw new StepsError(
        'MISSING_INPUT',
        `configuring attest: give predicate (only type slsa generates its own predicate, from the CI run)`,
      );
    }
    const { 'image-ref': _ref, ...outputs } = await attestPredicate(ctx, inputs, predicate);
    return outputs;
  });
}

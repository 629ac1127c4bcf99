import { signImage } from '@kaniko-ts/sigstore';
import { writeBundleFile } from '../internal/bundle-file.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import { signResultOf, sigstoreSigning } from '../internal/sigstore-call.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { signSpec } from './spec.js';

/** What the step asks of `@kaniko-ts/sigstore`'s `signImage`. */
export interface SignRequest extends SigningOptions {
  image: string;
  annotations: Record<string, string>;
  registry: RegistryOptions;
}

/** What `signImage` hands back. */
export interface SignResult {
  digest: string;
  /** repo@digest that was signed. */
  imageRef: string;
  /** Every ref written (referrer manifest and/or `sha256-<hex>.sig` tag). */
  signatureRefs: string[];
  /** The Sigstore bundle (serialized JSON object). */
  bundle: unknown;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  rekorLogIndex?: number;
}

/** The one library call: `signImage` from @kaniko-ts/sigstore. */
export async function callSignImage(request: SignRequest, workspace: string): Promise<SignResult> {
  const registry = createRegistryClient(request.registry, [request.image]);
  try {
    const options = await sigstoreSigning(request, request.image, registry, workspace);
    if (Object.keys(request.annotations).length > 0) options.annotations = request.annotations;
    const r = signResultOf(await signImage(options));
    return { ...r, signatureRefs: r.refs };
  } finally {
    await registry.close();
  }
}

function annotationsOf(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** Maps inputs to the library request (pure apart from the OIDC token fetch). */
export async function toSignRequest(
  ctx: StepContext,
  inputs: InferInputs<typeof signSpec>,
): Promise<SignRequest> {
  return {
    ...(await toSigningOptions(ctx, 'sign', inputs)),
    image: inputs.image,
    annotations: annotationsOf(inputs.annotations),
    registry: toRegistryOptions(inputs, ctx.env),
  };
}

/** Turns the library result into step outputs and a summary section. */
export async function signOutputs(
  ctx: StepContext,
  result: SignResult,
): Promise<InferOutputs<typeof signSpec>> {
  const bundlePath = await writeBundleFile(ctx, 'signature', result.digest, result.bundle);
  ctx.addSummary({
    title: 'Signature',
    rows: [
      ['image', result.imageRef],
      ['stored at', result.signatureRefs.join(', ')],
      ['identity', result.certificateIdentity ?? 'cosign key'],
      ['issuer', result.certificateOidcIssuer ?? ''],
      ['rekor log index', result.rekorLogIndex?.toString() ?? 'not logged'],
    ],
  });
  return {
    digest: result.digest,
    'image-ref': result.imageRef,
    'signature-ref': result.signatureRefs.join('\n'),
    'bundle-path': bundlePath,
    'certificate-identity': result.certificateIdentity ?? '',
    'certificate-oidc-issuer': result.certificateOidcIssuer ?? '',
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
  };
}

/** The sign step's run: one call to the library. */
export async function runSign(
  ctx: StepContext,
  inputs: InferInputs<typeof signSpec>,
): Promise<InferOutputs<typeof signSpec>> {
  return ctx.group(`sign ${inputs.image}`, async () =>
    signOutputs(ctx, await callSignImage(await toSignRequest(ctx, inputs), ctx.workspace)),
  );
}

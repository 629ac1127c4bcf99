import type { StepContext } from '../step-context.js';
import { StepsError } from '../steps-error.js';

/** How the sigstore library should sign: with a cosign key, or keyless with an OIDC token. */
export type SignerOptions =
  | { kind: 'key'; privateKey: string; password: string }
  | { kind: 'keyless'; identityToken: string; fulcioUrl: string };

/** Witness and storage options shared by sign and attest. */
export interface SigningOptions {
  signer: SignerOptions;
  rekorUrl?: string;
  tsaUrl?: string;
  /** Where signatures and attestations go: 'bundle' (OCI 1.1 referrer), 'legacy' (.sig/.att tags), 'both'. */
  format: 'bundle' | 'legacy' | 'both';
  signatureRepository?: string;
}

interface SigningInputValues {
  key?: string | undefined;
  'key-password'?: string | undefined;
  keyless: boolean;
  'identity-token'?: string | undefined;
  'oidc-audience'?: string | undefined;
  'fulcio-url'?: string | undefined;
  'rekor-url'?: string | undefined;
  'tsa-url'?: string | undefined;
  'tlog-upload': boolean;
  'signature-repository'?: string | undefined;
  format: 'bundle' | 'legacy' | 'both';
}

/**
 * Decides key vs keyless and fetches the OIDC token through the context's identity provider (masked
 * at once). A key wins over keyless; keyless without any token source fails with a clear message.
 */
export async function toSigningOptions(
  ctx: StepContext,
  step: string,
  inputs: SigningInputValues,
): Promise<SigningOptions> {
  let signer: SignerOptions;
  if (inputs.key !== undefined && inputs.key !== '') {
    signer = { kind: 'key', privateKey: inputs.key, password: inputs['key-password'] ?? '' };
  } else if (inputs.keyless) {
    let token = inputs['identity-token'];
    if (token === undefined || token === '')
      token = await ctx.identity.getIdToken(inputs['oidc-audience'] ?? 'sigstore');
    ctx.maskSecret(token);
    signer = {
      kind: 'keyless',
      identityToken: token,
      fulcioUrl: inputs['fulcio-url'] ?? 'https://fulcio.sigstore.dev',
    };
  } else {
    throw new StepsError('INVALID_INPUT', `configuring ${step}: keyless is false and no key was given`);
  }
  const options: SigningOptions = { signer, format: inputs.format };
  if (inputs['tlog-upload'] && inputs['rekor-url']) options.rekorUrl = inputs['rekor-url'];
  if (inputs['tsa-url']) options.tsaUrl = inputs['tsa-url'];
  if (inputs['signature-repository']) options.signatureRepository = inputs['signature-repository'];
  if (signer.kind === 'keyless' && options.rekorUrl === undefined && options.tsaUrl === undefined) {
    throw new StepsError(
      'INVALID_INPUT',
      `configuring ${step}: keyless signing needs rekor (tlog-upload) or a tsa-url`,
    );
  }
  return options;
}

import type { Signer, Witness } from '@sigstore/sign';
import { type IdentityTokenOptions, identityProvider } from '../identity-token.js';
import { createWitnesses, type WitnessOptions } from '../sign-payload.js';
import { keylessSigner, keySigner } from '../signers.js';
import type { SigningKey } from '../signing-key.js';
import { SigstoreError } from '../sigstore-error.js';

/** How to sign: a cosign key, or keyless with an OIDC identity. */
export interface SigningOptions {
  /** key-based signing; without it, keyless */
  key?: SigningKey;
  /** where the keyless identity token comes from */
  identity?: IdentityTokenOptions;
  fulcioURL?: string;
  /** Rekor / TSA (Rekor upload on by default) */
  witnesses?: WitnessOptions;
}

export function signingSetup(options: SigningOptions): { signer: Signer; witnesses: Witness[] } {
  const w = options.witnesses ?? {};
  if (!options.key && !options.identity) {
    throw new SigstoreError('INVALID_ARGUMENT', 'signing: give a key or an identity token source');
  }
  const signer = options.key
    ? keySigner(options.key)
    : keylessSigner({
        identityProvider: identityProvider(options.identity ?? {}),
        ...(options.fulcioURL ? { fulcioURL: options.fulcioURL } : {}),
        ...(w.retries !== undefined ? { retries: w.retries } : {}),
        ...(w.timeout !== undefined ? { timeout: w.timeout } : {}),
      });
  if (!options.key && w.tlogUpload === false && !w.tsaURL) {
    throw new SigstoreError(
      'INVALID_ARGUMENT',
      'signing keyless: without Rekor a timestamp authority is required',
    );
  }
  return { signer, witnesses: createWitnesses(w) };
}

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

/**
 * Whether sigstore-js can log a `.sig` payload signature made with this key in Rekor: its
 * hashedrekord entries always name SHA-256, while cosign signs payloads with P-384/P-521 keys over
 * SHA-384/512 and with Ed25519 keys as Ed25519ph (SHA-512), which Rekor would check against the
 * named digest. DSSE entries carry the whole envelope and are unaffected.
 */
export function payloadSignatureLoggable(key: SigningKey | undefined): boolean {
  return !key || key.type === 'ecdsa-p256' || key.type === 'rsa';
}

export function signingSetup(options: SigningOptions): {
  signer: Signer;
  /** for legacy `.sig` payloads (cosign's Ed25519ph for Ed25519 keys) */
  payloadSigner: Signer;
  witnesses: Witness[];
} {
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
  const payloadSigner = options.key ? keySigner(options.key, { payload: true }) : signer;
  return { signer, payloadSigner, witnesses: createWitnesses(w) };
}

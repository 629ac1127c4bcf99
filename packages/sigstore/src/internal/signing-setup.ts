import type { Signer, Witness } from '@sigstore/sign';
import { HashedRekordWitness } from '../hashed-rekord-witness.js';
import { type IdentityTokenOptions, identityProvider } from '../identity-token.js';
import { createWitnesses, PUBLIC_GOOD_REKOR_URL, type WitnessOptions } from '../sign-payload.js';
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
 * The hash a `.sig` payload signature with this key is logged under when it is not SHA-256: cosign
 * signs payloads with P-384/P-521 keys over SHA-384/512 and with Ed25519 keys as Ed25519ph (SHA-512),
 * and Rekor checks a hashedrekord signature against the digest the entry names — which sigstore-js
 * always makes SHA-256. DSSE entries carry the whole envelope and are unaffected.
 */
export function payloadLogHash(key: SigningKey | undefined): 'sha384' | 'sha512' | undefined {
  if (key?.type === 'ecdsa-p384') return 'sha384';
  if (key?.type === 'ecdsa-p521' || key?.type === 'ed25519') return 'sha512';
  return undefined;
}

export function signingSetup(options: SigningOptions): {
  signer: Signer;
  /** for legacy `.sig` payloads (cosign's Ed25519ph for Ed25519 keys) */
  payloadSigner: Signer;
  witnesses: Witness[];
  /** witnesses for a legacy `.sig` payload (a hashedrekord entry under the key's hash) */
  payloadWitnesses: (payload: Uint8Array) => Witness[];
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
  const witnesses = createWitnesses(w);
  const hash = payloadLogHash(options.key);
  const logged = w.tlogUpload ?? true;
  if (hash && logged && (w.rekorVersion ?? 1) !== 1) {
    throw new SigstoreError(
      'INVALID_ARGUMENT',
      `signing with an ${options.key?.type} key: Rekor v2 entries for .sig payloads are only made for ` +
        'SHA-256 keys; use Rekor v1, the bundle format only, or no Rekor upload',
    );
  }
  const payloadWitnesses = (payload: Uint8Array): Witness[] =>
    hash && logged
      ? [
          new HashedRekordWitness({
            rekorURL: w.rekorURL ?? PUBLIC_GOOD_REKOR_URL,
            payload,
            hash,
            ...(w.retries !== undefined ? { retries: w.retries } : {}),
            ...(w.timeout !== undefined ? { timeout: w.timeout } : {}),
          }),
          ...createWitnesses({ ...w, tlogUpload: false }),
        ]
      : witnesses;
  return { signer, payloadSigner, witnesses, payloadWitnesses };
}

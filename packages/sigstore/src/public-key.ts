import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type KeyType, keyTypeOf } from './internal/key-type.js';
import { SigstoreError } from './sigstore-error.js';

/** A verification key, as in `cosign.pub`. */
export interface VerificationKey {
  readonly type: KeyType;
  readonly key: KeyObject;
  /** SPKI `PUBLIC KEY` PEM. */
  readonly pem: string;
}

/** Loads a `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1) or a certificate's key. */
export function loadPublicKey(pem: string | Uint8Array): VerificationKey {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN CERTIFICATE-----')
      ? new X509Certificate(text).publicKey
      : createPublicKey(text);
  } catch (cause) {
    throw new SigstoreError('KEY_INVALID', 'loading public key: not a PEM public key or certificate', {
      cause,
    });
  }
  const type = keyTypeOf(key, 'loading public key');
  return { type, key, pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

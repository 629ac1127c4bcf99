import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { signEd25519ph } from './internal/ed25519ph.js';
import { decryptKeyMaterial } from './internal/encrypted-key.js';
import { hashOf, type KeyType, keyTypeOf, parsePem } from './internal/key-type.js';
import { SigstoreError } from './sigstore-error.js';

/**
 * A private key ready to sign with the hash cosign pairs with it: ECDSA P-256/P-384/P-521 over
 * SHA-256/384/512, RSA PKCS#1 v1.5 over SHA-256, Ed25519 pure (DSSE) or Ed25519ph (`.sig` payloads).
 */
export interface SigningKey {
  readonly type: KeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SPKI `PUBLIC KEY` PEM, as in `cosign.pub`. */
  readonly publicKeyPem: string;
  /** Signs `data`, e.g. a DSSE pre-authentication encoding (ECDSA: ASN.1 DER signature over its hash). */
  sign(data: Uint8Array): Buffer;
  /**
   * Signs a legacy `.sig` simple-signing payload as cosign does: like `sign`, except that Ed25519
   * keys sign Ed25519ph (cosign's default for key files since Rekor's hashedrekord needs it).
   */
  signPayload(data: Uint8Array): Buffer;
}

export const ENCRYPTED_SIGSTORE_KEY = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const ENCRYPTED_COSIGN_KEY = 'ENCRYPTED COSIGN PRIVATE KEY';
const OP = 'loading private key';

/** Wraps a Node private key object. */
export function signingKeyFromKeyObject(privateKey: KeyObject): SigningKey {
  const type = keyTypeOf(privateKey, OP);
  const publicKey = createPublicKey(privateKey);
  const hash = hashOf(type);
  return {
    type,
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(hash, data, privateKey),
    signPayload: (data) =>
      type === 'ed25519' ? signEd25519ph(privateKey, data) : sign(hash, data, privateKey),
  };
}

/**
 * Loads a private key file the way cosign does: `ENCRYPTED SIGSTORE PRIVATE KEY` and
 * `ENCRYPTED COSIGN PRIVATE KEY` (password-encrypted PKCS#8; anything else inside, such as SEC1,
 * is rejected like cosign rejects it), and plain PEM keys (`PRIVATE KEY`, `EC PRIVATE KEY`,
 * `RSA PRIVATE KEY`, and password-protected `ENCRYPTED PRIVATE KEY`).
 */
export async function loadPrivateKey(pem: string | Uint8Array, password = ''): Promise<SigningKey> {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const { type, body } = parsePem(text, OP);
  if (type === ENCRYPTED_SIGSTORE_KEY || type === ENCRYPTED_COSIGN_KEY) {
    const der = await decryptKeyMaterial(body.toString('utf8'), password);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch (cause) {
      throw new SigstoreError('KEY_INVALID', `${OP}: decrypted key is not PKCS#8`, { cause });
    }
    return signingKeyFromKeyObject(key);
  }
  if (!['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'].includes(type)) {
    throw new SigstoreError('KEY_UNSUPPORTED', `${OP}: unsupported PEM type ${type}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(
      type === 'ENCRYPTED PRIVATE KEY' ? { key: text, passphrase: password } : { key: text },
    );
  } catch (cause) {
    const code = type === 'ENCRYPTED PRIVATE KEY' ? 'KEY_PASSWORD' : 'KEY_INVALID';
    throw new SigstoreError(code, `${OP}: cannot parse ${type}`, { cause });
  }
  return signingKeyFromKeyObject(key);
}

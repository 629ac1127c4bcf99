import type { KeyObject } from 'node:crypto';
import { SigstoreError } from '../sigstore-error.js';

/** The key types cosign signs with, and the hash it pairs with each (sigstore `LoadDefaultSignerVerifier`). */
export type KeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'ed25519';

const CURVES: Record<string, KeyType> = {
  prime256v1: 'ecdsa-p256',
  secp384r1: 'ecdsa-p384',
  secp521r1: 'ecdsa-p521',
};

export function keyTypeOf(key: KeyObject, operation: string): KeyType {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const type = CURVES[curve];
      if (!type) throw new SigstoreError('KEY_UNSUPPORTED', `${operation}: unsupported curve ${curve}`);
      return type;
    }
    case 'rsa':
      return 'rsa';
    case 'ed25519':
      return 'ed25519';
    default:
      throw new SigstoreError(
        'KEY_UNSUPPORTED',
        `${operation}: unsupported key type ${String(key.asymmetricKeyType)}`,
      );
  }
}

/**
 * Hash for `crypto.sign`; `null` for Ed25519, which hashes internally. ECDSA signs SHA-256 on every
 * curve: sigstore-js verifies message signatures with the bundle's SHA-256 digest and DSSE with the
 * key's default digest (SHA-256), so SHA-384/512 (what cosign pairs with P-384/P-521) would not
 * verify. cosign's default P-256 key is unaffected.
 */
export function hashOf(type: KeyType): 'sha256' | null {
  return type === 'ed25519' ? null : 'sha256';
}

/** PEM with 64-character lines, as Go's `pem.Encode` writes it. */
export function toPem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** Splits the first PEM block into its type and body bytes. */
export function parsePem(pem: string, operation: string): { type: string; body: Buffer } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m?.[1] || m[2] === undefined) {
    throw new SigstoreError('KEY_INVALID', `${operation}: no PEM block found`);
  }
  return { type: m[1], body: Buffer.from(m[2].replace(/\s+/g, ''), 'base64') };
}

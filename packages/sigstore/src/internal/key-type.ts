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
 * The hash cosign pairs with each key type (sigstore's algorithm registry, `LoadDefaultSignerVerifier`):
 * ECDSA P-256/P-384/P-521 with SHA-256/384/512, RSA PKCS#1 v1.5 with SHA-256; `null` for Ed25519,
 * which hashes internally (pure Ed25519; cosign's `.sig` payloads use Ed25519ph, see `SigningKey`).
 */
export function hashOf(type: KeyType): 'sha256' | 'sha384' | 'sha512' | null {
  switch (type) {
    case 'ecdsa-p384':
      return 'sha384';
    case 'ecdsa-p521':
      return 'sha512';
    case 'ed25519':
      return null;
    default:
      return 'sha256';
  }
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

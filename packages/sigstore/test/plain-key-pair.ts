import { generateKeyPairSync } from 'node:crypto';
import type { KeyType } from '../src/internal/key-type.js';

const CURVES = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384', 'ecdsa-p521': 'P-521' } as const;

/**
 * A fresh key pair of `type` as plain PEM (PKCS#8 private, SPKI public), for tests that do not need
 * the cosign key-file format (tested in keys.test.ts; its scrypt is slow).
 */
export function plainKeyPair(type: KeyType) {
  const p =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: CURVES[type] });
  return {
    privateKey: p.privateKey,
    privateKeyPem: p.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: p.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

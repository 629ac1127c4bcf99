import { type KeyObject, verify } from 'node:crypto';
import { verifyEd25519ph } from './internal/ed25519ph.js';
import { hashOf, keyTypeOf } from './internal/key-type.js';

/**
 * Verifies a signature made with a cosign key the way cosign pairs algorithms with keys: ECDSA P-256,
 * P-384 and P-521 over SHA-256, SHA-384 and SHA-512 (a signature over any other hash is rejected),
 * RSA PKCS#1 v1.5 over SHA-256, Ed25519 as Ed25519ph (cosign's `.sig` payloads) or pure Ed25519
 * (DSSE, and `.sig` payloads of cosign before Ed25519ph). This is the piece sigstore-js lacks: it
 * hashes message signatures with the bundle digest's algorithm (SHA-256 in every cosign-derived
 * bundle), DSSE with the key type's default digest (SHA-256 for every curve), and cannot verify
 * Ed25519 message signatures at all.
 */
export function verifyKeySignature(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const type = keyTypeOf(publicKey, 'verifying signature');
  if (type === 'ed25519') {
    if (signature.length !== 64) return false;
    return verifyEd25519ph(publicKey, data, signature) || safeVerify(null, data, publicKey, signature);
  }
  return safeVerify(hashOf(type), data, publicKey, signature);
}

function safeVerify(hash: string | null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

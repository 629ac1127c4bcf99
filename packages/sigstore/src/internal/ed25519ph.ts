import type { KeyObject } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';

/**
 * Ed25519ph (RFC 8032 HashEdDSA: SHA-512 prehash, empty context), which cosign uses for Ed25519 keys
 * on `.sig` payloads because Rekor's hashedrekord verifies Ed25519 only that way. Node's crypto
 * offers pure Ed25519 alone, hence `@noble/curves` here.
 */
export function signEd25519ph(privateKey: KeyObject, data: Uint8Array): Buffer {
  const seed = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
  return Buffer.from(ed25519ph.sign(data, seed));
}

export function verifyEd25519ph(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const raw = Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url');
  try {
    return ed25519ph.verify(signature, data, raw);
  } catch {
    return false;
  }
}

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { encryptKeyMaterial } from './internal/encrypted-key.js';
import { type KeyType, toPem } from './internal/key-type.js';
import { ENCRYPTED_SIGSTORE_KEY } from './signing-key.js';

/** `cosign.key` and `cosign.pub` contents. */
export interface KeyPairFiles {
  /** `ENCRYPTED SIGSTORE PRIVATE KEY` PEM (scrypt N=2^16 + NaCl secretbox over PKCS#8). */
  privateKeyPem: string;
  /** SPKI `PUBLIC KEY` PEM. */
  publicKeyPem: string;
}

function generate(type: KeyType): KeyObject {
  switch (type) {
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'ecdsa-p521':
      return generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey;
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/** Encrypts an existing private key into cosign's key-file format (`cosign import-key-pair`). */
export async function encryptPrivateKey(privateKey: KeyObject, password: string): Promise<string> {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const json = await encryptKeyMaterial(der, password);
  return toPem(ENCRYPTED_SIGSTORE_KEY, Buffer.from(json, 'utf8'));
}

/**
 * Generates a key pair as `cosign generate-key-pair` does (ECDSA P-256 by default). The password may
 * be empty, as cosign allows.
 */
export async function generateKeyPair(
  password: string,
  options: { type?: KeyType } = {},
): Promise<KeyPairFiles> {
  const privateKey = generate(options.type ?? 'ecdsa-p256');
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem: await encryptPrivateKey(privateKey, password), publicKeyPem };
}

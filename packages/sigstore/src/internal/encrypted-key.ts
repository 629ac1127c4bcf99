import { randomBytes, scrypt } from 'node:crypto';
import nacl from 'tweetnacl';
import { SigstoreError } from '../sigstore-error.js';

/**
 * go-securesystemslib's `encrypted` format, which cosign uses for its private key files:
 * scrypt(password, salt, N, r, p) → 32-byte key → NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce).
 */

/** cosign's writer uses N = 2^16; its reader accepts only these three parameter sets. */
const ACCEPTED_PARAMS = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
] as const;
const WRITE_PARAMS = ACCEPTED_PARAMS[1];
const MAX_MEM = 256 * 1024 * 1024;

interface EncryptedData {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function deriveKey(password: string, salt: Uint8Array, N: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), salt, 32, { N, r, p, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Encrypts `plaintext` and returns the JSON document exactly as Go's `json.Marshal` orders it. */
export async function encryptKeyMaterial(plaintext: Uint8Array, password: string): Promise<string> {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const { N, r, p } = WRITE_PARAMS;
  const key = await deriveKey(password, salt, N, r, p);
  const sealed = nacl.secretbox(plaintext, nonce, key);
  const data: EncryptedData = {
    kdf: { name: 'scrypt', params: { N, r, p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return JSON.stringify(data);
}

function parse(json: string): EncryptedData {
  let data: EncryptedData;
  try {
    data = JSON.parse(json) as EncryptedData;
  } catch (cause) {
    throw new SigstoreError('KEY_INVALID', 'decrypting private key: body is not JSON', { cause });
  }
  if (data?.kdf?.name !== 'scrypt' || data?.cipher?.name !== 'nacl/secretbox') {
    throw new SigstoreError(
      'KEY_UNSUPPORTED',
      `decrypting private key: unsupported kdf/cipher ${String(data?.kdf?.name)}/${String(data?.cipher?.name)}`,
    );
  }
  const { N, r, p } = data.kdf.params ?? {};
  if (!ACCEPTED_PARAMS.some((a) => a.N === N && a.r === r && a.p === p)) {
    throw new SigstoreError(
      'KEY_UNSUPPORTED',
      `decrypting private key: unsupported scrypt parameters N=${N} r=${r} p=${p}`,
    );
  }
  return data;
}

/** Decrypts a go-securesystemslib document; a wrong password is a `KEY_PASSWORD` error. */
export async function decryptKeyMaterial(json: string, password: string): Promise<Buffer> {
  const data = parse(json);
  const salt = Buffer.from(data.kdf.salt, 'base64');
  const nonce = Buffer.from(data.cipher.nonce, 'base64');
  if (nonce.length !== 24) {
    throw new SigstoreError('KEY_INVALID', 'decrypting private key: nonce is not 24 bytes');
  }
  const { N, r, p } = data.kdf.params;
  const key = await deriveKey(password, salt, N, r, p);
  const opened = nacl.secretbox.open(Buffer.from(data.ciphertext, 'base64'), nonce, key);
  if (!opened) {
    throw new SigstoreError('KEY_PASSWORD', 'decrypting private key: wrong password or corrupted key');
  }
  return Buffer.from(opened);
}

import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './key-pair.js';
import { loadPublicKey } from './public-key.js';
import { loadPrivateKey } from './signing-key.js';
import { SigstoreError } from './sigstore-error.js';

const conformance = new URL('../../../../shared/conformance/cosign/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, conformance), 'utf8');

async function rejection(p: Promise<unknown>): Promise<SigstoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SigstoreError);
  return e as SigstoreError;
}

describe('cosign key files', () => {
  it('decrypts ENCRYPTED SIGSTORE PRIVATE KEY (scrypt N=32768) with password hello', async () => {
    const key = await loadPrivateKey(fixture('pemsigstorekey.pem'), 'hello');
    expect(key.type).toBe('ecdsa-p256');
    const sig = key.sign(Buffer.from('payload'));
    expect(verify('sha256', Buffer.from('payload'), key.publicKey, sig)).toBe(true);
  });

  it('decrypts the older ENCRYPTED COSIGN PRIVATE KEY', async () => {
    const key = await loadPrivateKey(fixture('pemcosignkey.pem'), 'hello');
    // The research notes call this an RSA key; its PKCS#8 is in fact an EC P-256 key.
    expect(key.type).toBe('ecdsa-p256');
    expect(key.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('rejects a key that decrypts to SEC1 instead of PKCS#8, as cosign does', async () => {
    const e = await rejection(loadPrivateKey(fixture('pemcosigneckey.pem'), 'hello'));
    expect(e.code).toBe('KEY_INVALID');
    expect(e.message).toMatch(/not PKCS#8/);
  });

  it('fails with a clear error on a wrong password', async () => {
    const e = await rejection(loadPrivateKey(fixture('pemsigstorekey.pem'), 'hunter2-xyz'));
    expect(e.code).toBe('KEY_PASSWORD');
    expect(e.message).toMatch(/wrong password/);
    expect(e.message).not.toContain('hunter2-xyz');
  });

  it('rejects garbage and unsupported PEM types', async () => {
    expect((await rejection(loadPrivateKey('not a key', 'x'))).code).toBe('KEY_INVALID');
    const cert = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect((await rejection(loadPrivateKey(cert, 'x'))).code).toBe('KEY_UNSUPPORTED');
  });
});

describe('generateKeyPair', () => {
  it('writes a cosign.key that round-trips and a matching cosign.pub', async () => {
    const files = await generateKeyPair('s3cret');
    expect(files.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    for (const line of files.privateKeyPem.trim().split('\n').slice(1, -1)) {
      expect(line.length).toBeLessThanOrEqual(64);
    }
    const body = files.privateKeyPem.split('\n').slice(1, -2).join('');
    const doc = JSON.parse(Buffer.from(body, 'base64').toString());
    expect(Object.keys(doc)).toEqual(['kdf', 'cipher', 'ciphertext']);
    expect(doc.kdf.params).toEqual({ N: 65536, r: 8, p: 1 });
    expect(Buffer.from(doc.kdf.salt, 'base64')).toHaveLength(32);
    expect(doc.cipher).toMatchObject({ name: 'nacl/secretbox' });
    expect(Buffer.from(doc.cipher.nonce, 'base64')).toHaveLength(24);

    const key = await loadPrivateKey(files.privateKeyPem, 's3cret');
    expect(key.publicKeyPem).toBe(files.publicKeyPem);
    const pub = loadPublicKey(files.publicKeyPem);
    const data = Buffer.from('hello');
    expect(verify('sha256', data, pub.key, key.sign(data))).toBe(true);
    await rejection(loadPrivateKey(files.privateKeyPem, 's3cre'));
  });

  it('accepts an empty password', async () => {
    const files = await generateKeyPair('');
    expect((await loadPrivateKey(files.privateKeyPem, '')).type).toBe('ecdsa-p256');
  });

  it.each([
    ['ecdsa-p384', 'sha384'],
    ['ecdsa-p521', 'sha512'],
    ['ed25519', null],
  ] as const)('signs %s keys with %s (the hash cosign pairs with the key)', async (type, hash) => {
    const files = await generateKeyPair('pw', { type });
    const key = await loadPrivateKey(files.privateKeyPem, 'pw');
    expect(key.type).toBe(type);
    const data = Buffer.from('x');
    expect(verify(hash, data, loadPublicKey(files.publicKeyPem).key, key.sign(data))).toBe(true);
  });
});

describe('plain PEM keys', () => {
  it.each(['PRIVATE KEY', 'EC PRIVATE KEY'])('loads %s', async (pemType) => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey
      .export(pemType === 'PRIVATE KEY' ? { type: 'pkcs8', format: 'pem' } : { type: 'sec1', format: 'pem' })
      .toString();
    const key = await loadPrivateKey(pem);
    expect(key.type).toBe('ecdsa-p256');
    const expected = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    expect(key.publicKeyPem).toBe(expected);
  });

  it('loads RSA PRIVATE KEY and rejects secp256k1', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const key = await loadPrivateKey(rsa.export({ type: 'pkcs1', format: 'pem' }).toString());
    expect(key.type).toBe('rsa');
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const e = await rejection(loadPrivateKey(k1.export({ type: 'pkcs8', format: 'pem' }).toString()));
    expect(e.code).toBe('KEY_UNSUPPORTED');
  });
});

import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@kaniko-ts/oci';
import { bundleToJSON } from '@sigstore/bundle';
import { afterAll, describe, expect, it } from 'vitest';
import { plainKeyPair } from '../test/plain-key-pair.js';
import { CosignAnnotation } from './cosign-annotations.js';
import { createStatement, IN_TOTO_PAYLOAD_TYPE } from './in-toto-statement.js';
import type { KeyType } from './internal/key-type.js';
import { verifyKeySignature } from './key-signature.js';
import { bundleFromLegacyLayer } from './legacy-bundle.js';
import { signDsse, signMessage } from './sign-payload.js';
import { keySigner } from './signers.js';
import { loadPrivateKey } from './signing-key.js';
import { SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload } from './simple-signing.js';
import { verifyBundle } from './verify-bundle.js';

const digest = `sha256:${'b'.repeat(64)}`;
const payload = simpleSigningPayload({ dockerReference: 'registry.example/app', digest });
const statement = Buffer.from(
  JSON.stringify(
    createStatement({ digest, predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }),
  ),
);
const TYPES = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa', 'ed25519'] as const;

/** A `.sig` layer as cosign writes it for a key signature (no certificate, no Rekor bundle). */
function sigLayer(signature: Uint8Array) {
  return {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    digest: sha256(payload),
    size: payload.length,
    annotations: { [CosignAnnotation.signature]: Buffer.from(signature).toString('base64') },
  };
}

const verifyLegacy = (signature: Uint8Array, publicKey: string) =>
  verifyBundle({
    bundle: bundleFromLegacyLayer(sigLayer(signature), payload),
    artifact: payload,
    policy: { publicKey, tlogThreshold: 0 },
  });

describe('key signatures round-trip in both storage formats', () => {
  it.each(TYPES)('%s', async (type) => {
    const files = plainKeyPair(type);
    const key = await loadPrivateKey(files.privateKeyPem, '');
    const policy = { publicKey: files.publicKeyPem, tlogThreshold: 0 };
    const other = { publicKey: plainKeyPair(type).publicKeyPem, tlogThreshold: 0 };

    // legacy .sig: message signature over the simple-signing payload, read back from the layer
    const message = await signMessage(payload, keySigner(key, { payload: true }), []);
    const sig =
      message.content.$case === 'messageSignature' ? message.content.messageSignature.signature : [];
    expect(verifyLegacy(sig, files.publicKeyPem).content).toBe('message-signature');
    expect(() => verifyLegacy(sig, other.publicKey)).toThrow(/signature/);
    expect(() =>
      verifyBundle({ bundle: bundleToJSON(message), artifact: Buffer.from('other'), policy }),
    ).toThrow();

    // bundle format: DSSE over the cosign sign statement
    const bundle = bundleToJSON(await signDsse(statement, IN_TOTO_PAYLOAD_TYPE, keySigner(key), []));
    expect(verifyBundle({ bundle, digest, policy }).publicKey).toBe(files.publicKeyPem);
    expect(() => verifyBundle({ bundle, digest, policy: other })).toThrow(/signature/);
  });
});

describe('the hash is the one cosign pairs with the key', () => {
  const cases: [KeyType, string, string[]][] = [
    ['ecdsa-p256', 'sha256', ['sha384', 'sha512']],
    ['ecdsa-p384', 'sha384', ['sha256', 'sha512']],
    ['ecdsa-p521', 'sha512', ['sha256', 'sha384']],
    ['rsa', 'sha256', ['sha384', 'sha512']],
  ];
  it.each(cases)('%s signs with %s and rejects %j', async (type, hash, wrong) => {
    const files = plainKeyPair(type);
    const key = await loadPrivateKey(files.privateKeyPem, '');
    const pub = createPublicKey(files.publicKeyPem);
    for (const sig of [key.sign(payload), key.signPayload(payload)]) {
      expect(verifyKeySignature(pub, payload, sig)).toBe(true);
      // node:crypto's verify with the expected hash, as an independent check
      expect(verify(hash, payload, pub, sig)).toBe(true);
    }
    for (const h of wrong) {
      const sig = sign(h, payload, files.privateKey);
      expect(verifyKeySignature(pub, payload, sig)).toBe(false);
      expect(() => verifyLegacy(sig, files.publicKeyPem)).toThrow(/signature verification failed/);
    }
  });
});

describe('Ed25519', () => {
  // RFC 8032 section 7.3, test vector "TEST abc" for Ed25519ph.
  const SECRET = '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42';
  const PUBLIC = 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf';
  const SIG =
    '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41' +
    '31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406';
  const jwk = (d?: string) => ({
    kty: 'OKP',
    crv: 'Ed25519',
    x: Buffer.from(PUBLIC, 'hex').toString('base64url'),
    ...(d ? { d: Buffer.from(d, 'hex').toString('base64url') } : {}),
  });

  it('signs .sig payloads as Ed25519ph (RFC 8032 test vector) and DSSE as pure Ed25519', async () => {
    const privateKey = createPrivateKey({ key: jwk(SECRET), format: 'jwk' });
    const key = await loadPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const abc = Buffer.from('616263', 'hex');
    expect(key.signPayload(abc).toString('hex')).toBe(SIG);
    const pub = createPublicKey({ key: jwk(), format: 'jwk' });
    expect(verifyKeySignature(pub, abc, Buffer.from(SIG, 'hex'))).toBe(true);
    expect(verifyKeySignature(pub, Buffer.from('abd'), Buffer.from(SIG, 'hex'))).toBe(false);
    // pure Ed25519 (DSSE; cosign's .sig before Ed25519ph) is what node:crypto verifies
    expect(verify(null, abc, pub, key.sign(abc))).toBe(true);
    expect(key.sign(abc).equals(key.signPayload(abc))).toBe(false);
  });

  it('verifies .sig layers signed either way (older cosign used pure Ed25519)', () => {
    const files = plainKeyPair('ed25519');
    const pure = sign(null, payload, files.privateKey);
    expect(verifyLegacy(pure, files.publicKeyPem).content).toBe('message-signature');
    const truncated = pure.subarray(0, 63);
    expect(() => verifyLegacy(truncated, files.publicKeyPem)).toThrow(/signature/);
  });
});

describe('cross-checked with OpenSSL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaniko-sig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
  const verifies = (...args: string[]) => {
    try {
      return openssl(...args).includes('Verified OK');
    } catch {
      return false;
    }
  };

  it.each([
    ['ecdsa-p384', 'sha384', 'sha256'],
    ['ecdsa-p521', 'sha512', 'sha384'],
  ] as const)('our %s payload signature is a standard ECDSA-%s signature', async (type, hash, wrong) => {
    const files = plainKeyPair(type);
    const key = await loadPrivateKey(files.privateKeyPem, '');
    writeFileSync(join(dir, 'payload'), payload);
    writeFileSync(join(dir, 'pub.pem'), files.publicKeyPem);
    writeFileSync(join(dir, 'sig'), key.signPayload(payload));
    expect(verifies('dgst', `-${hash}`, '-verify', 'pub.pem', '-signature', 'sig', 'payload')).toBe(true);
    expect(verifies('dgst', `-${wrong}`, '-verify', 'pub.pem', '-signature', 'sig', 'payload')).toBe(false);
  });

  it('verifies a P-384 .sig signature made by OpenSSL the way cosign signs (ECDSA-SHA384, DER)', () => {
    const files = plainKeyPair('ecdsa-p384');
    writeFileSync(join(dir, 'payload'), payload);
    writeFileSync(join(dir, 'key.pem'), files.privateKeyPem);
    openssl('dgst', '-sha384', '-sign', 'key.pem', '-out', 'cosign.sig', 'payload');
    const sig = readFileSync(join(dir, 'cosign.sig'));
    expect(verifyLegacy(sig, files.publicKeyPem).publicKey).toBe(files.publicKeyPem);
    openssl('dgst', '-sha256', '-sign', 'key.pem', '-out', 'sha256.sig', 'payload');
    expect(() => verifyLegacy(readFileSync(join(dir, 'sha256.sig')), files.publicKeyPem)).toThrow(
      /signature verification failed/,
    );
  });
});

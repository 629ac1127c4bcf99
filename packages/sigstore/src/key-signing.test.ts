import { bundleToJSON } from '@sigstore/bundle';
import { describe, expect, it } from 'vitest';
import { plainKeyPair } from '../test/plain-key-pair.js';
import { createStatement, IN_TOTO_PAYLOAD_TYPE } from './in-toto-statement.js';
import { signDsse, signMessage } from './sign-payload.js';
import { keySigner } from './signers.js';
import { loadPrivateKey } from './signing-key.js';
import { verifyBundle } from './verify-bundle.js';

const digest = `sha256:${'a'.repeat(64)}`;

const statement = Buffer.from(JSON.stringify(createStatement({ digest, predicateType: 'x', predicate: {} })));

describe('key-signed bundles round-trip through sigstore-js verification', () => {
  it.each(['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa', 'ed25519'] as const)('%s: DSSE', async (type) => {
    const files = plainKeyPair(type);
    const key = await loadPrivateKey(files.privateKeyPem, '');
    const bundle = bundleToJSON(await signDsse(statement, IN_TOTO_PAYLOAD_TYPE, keySigner(key), []));
    const r = verifyBundle({ bundle, digest, policy: { publicKey: files.publicKeyPem, tlogThreshold: 0 } });
    expect(r.publicKey).toBe(files.publicKeyPem);
    const other = plainKeyPair(type);
    expect(() =>
      verifyBundle({ bundle, digest, policy: { publicKey: other.publicKeyPem, tlogThreshold: 0 } }),
    ).toThrow(/signature verification failed/);
  });

  it.each(['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa'] as const)(
    '%s: message signature',
    async (type) => {
      const files = plainKeyPair(type);
      const key = await loadPrivateKey(files.privateKeyPem, '');
      const payload = Buffer.from('payload');
      const bundle = bundleToJSON(await signMessage(payload, keySigner(key), []));
      const policy = { publicKey: files.publicKeyPem, tlogThreshold: 0 };
      expect(verifyBundle({ bundle, artifact: payload, policy }).content).toBe('message-signature');
      expect(() => verifyBundle({ bundle, artifact: Buffer.from('other'), policy })).toThrow();
    },
  );
});

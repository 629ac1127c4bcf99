import {
  bundleToJSON,
  createStatement,
  createWitnesses,
  generateKeyPair,
  IN_TOTO_PAYLOAD_TYPE,
  identityProvider,
  keylessSigner,
  keySigner,
  loadPrivateKey,
  parseTrustedRoot,
  SigstoreError,
  signDsse,
  signMessage,
  verifyBundle,
} from '@kaniko-ts/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockSigstore, startMockSigstore } from './sigstore/mock-sigstore.js';

let mock: MockSigstore;
beforeAll(async () => {
  mock = await startMockSigstore();
});
afterAll(async () => {
  await mock?.stop();
});

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const statementBytes = () =>
  Buffer.from(
    JSON.stringify(
      createStatement({ digest: DIGEST, predicateType: 'https://example.com/p', predicate: {} }),
    ),
  );

describe('keyless signing against mock Fulcio/Rekor/TSA over HTTP', () => {
  it('gets the token from the GitHub Actions endpoint with audience sigstore and signs DSSE', async () => {
    const provider = identityProvider({ env: { ...mock.githubEnv } });
    const signer = keylessSigner({ identityProvider: provider, fulcioURL: mock.fulcioURL });
    const witnesses = createWitnesses({ rekorURL: mock.rekorURL, tsaURL: mock.tsaURL });
    const bundle = await signDsse(statementBytes(), IN_TOTO_PAYLOAD_TYPE, signer, witnesses);
    expect(mock.audiences.at(-1)).toBe('sigstore');
    const result = verifyBundle({
      bundle: bundleToJSON(bundle),
      trustedRoot: parseTrustedRoot(mock.trustedRoot),
      digest: DIGEST,
      policy: {
        certificate: { identities: [{ subject: String(mock.claims.sub), issuer: mock.issuer }] },
        rfc3161Threshold: 1,
      },
    });
    expect(result.signer?.subject).toBe(mock.claims.sub);
    expect(result.signer?.extensions.githubWorkflowRepository).toBe('acme/app');
    expect(result.tlogEntries).toHaveLength(1);
    expect(result.rfc3161Timestamps).toHaveLength(1);
  });

  it('signs a message with SIGSTORE_ID_TOKEN and reuses one Fulcio certificate', async () => {
    const before = mock.requests.fulcio;
    const provider = identityProvider({ env: { SIGSTORE_ID_TOKEN: mock.token() } });
    const signer = keylessSigner({ identityProvider: provider, fulcioURL: mock.fulcioURL });
    const witnesses = createWitnesses({ rekorURL: mock.rekorURL });
    const payload = Buffer.from('{"hello":"world"}');
    const a = await signMessage(payload, signer, witnesses);
    const b = await signDsse(statementBytes(), IN_TOTO_PAYLOAD_TYPE, signer, witnesses);
    expect(mock.requests.fulcio - before).toBe(1);
    const trustedRoot = parseTrustedRoot(mock.trustedRoot);
    const policy = {
      certificate: { identities: [{ subject: String(mock.claims.sub), issuer: mock.issuer }] },
    };
    expect(verifyBundle({ bundle: bundleToJSON(a), trustedRoot, artifact: payload, policy }).content).toBe(
      'message-signature',
    );
    expect(verifyBundle({ bundle: bundleToJSON(b), trustedRoot, digest: DIGEST, policy }).content).toBe(
      'dsse-envelope',
    );
    expect(() =>
      verifyBundle({ bundle: bundleToJSON(a), trustedRoot, artifact: Buffer.from('other'), policy }),
    ).toThrow(SigstoreError);
  });

  it('retries a flaky Rekor and succeeds', async () => {
    mock.failNext('rekor', 2);
    const before = mock.requests.rekor;
    const signer = keylessSigner({
      identityProvider: identityProvider({ token: mock.token() }),
      fulcioURL: mock.fulcioURL,
    });
    await signMessage(Buffer.from('x'), signer, createWitnesses({ rekorURL: mock.rekorURL, retries: 3 }));
    expect(mock.requests.rekor - before).toBe(3);
  });

  it('gives a clear error, without the token, when Fulcio stays down', async () => {
    const token = mock.token();
    mock.failNext('fulcio', 10);
    const before = mock.requests.fulcio;
    const signer = keylessSigner({
      identityProvider: identityProvider({ token }),
      fulcioURL: mock.fulcioURL,
      retries: 2,
    });
    const e = await signMessage(Buffer.from('x'), signer, []).catch((err: unknown) => err);
    mock.failNext('fulcio', 0);
    expect(e).toBeInstanceOf(SigstoreError);
    expect((e as SigstoreError).code).toBe('SIGNING_FAILED');
    expect((e as SigstoreError).message).toMatch(/signing payload: .*503|mock outage/);
    expect(JSON.stringify({ m: (e as Error).message, c: String((e as Error).cause) })).not.toContain(token);
    expect(mock.requests.fulcio - before).toBe(3);
  });

  it('fails clearly when Rekor is unreachable', async () => {
    const signer = keySigner(await loadPrivateKey((await generateKeyPair('')).privateKeyPem, ''));
    const e = await signMessage(
      Buffer.from('x'),
      signer,
      createWitnesses({ rekorURL: 'http://127.0.0.1:1', retries: 1, timeout: 2000 }),
    ).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SigstoreError);
    expect((e as Error).message).toMatch(/ECONNREFUSED|connect/i);
  });

  it('rejects a bad request token at the GitHub endpoint with a clear error', async () => {
    const provider = identityProvider({
      env: { ...mock.githubEnv, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'nope' },
      attempts: 1,
    });
    await expect(provider.getToken()).rejects.toThrow(/GitHub Actions token request .* HTTP 401/);
  });
});

describe('Rekor v2 and certificate extensions', () => {
  it('signs DSSE with a Rekor v2 entry plus a TSA timestamp and verifies it', async () => {
    const signer = keylessSigner({
      identityProvider: identityProvider({ token: mock.token() }),
      fulcioURL: mock.fulcioURL,
    });
    const witnesses = createWitnesses({ rekorURL: mock.rekorURL, rekorVersion: 2, tsaURL: mock.tsaURL });
    const bundle = await signDsse(statementBytes(), IN_TOTO_PAYLOAD_TYPE, signer, witnesses);
    const policy = {
      certificate: { identities: [{ subject: String(mock.claims.sub), issuer: mock.issuer }] },
    };
    const r = verifyBundle({
      bundle: bundleToJSON(bundle),
      trustedRoot: parseTrustedRoot(mock.trustedRoot),
      digest: DIGEST,
      policy,
    });
    expect(r.tlogEntries[0]?.kind).toBe('dsse/0.0.2');
    expect(r.rfc3161Timestamps).toHaveLength(1);
  });

  it('checks GitHub workflow repository/ref/trigger and GitLab-style project/ref extensions', async () => {
    const signer = keylessSigner({
      identityProvider: identityProvider({ token: mock.token() }),
      fulcioURL: mock.fulcioURL,
    });
    const bundle = bundleToJSON(
      await signMessage(Buffer.from('m'), signer, createWitnesses({ rekorURL: mock.rekorURL })),
    );
    const trustedRoot = parseTrustedRoot(mock.trustedRoot);
    const identities = [{ subject: String(mock.claims.sub), issuer: mock.issuer }];
    const run = (extra: object) =>
      verifyBundle({
        bundle,
        trustedRoot,
        artifact: Buffer.from('m'),
        policy: { certificate: { identities, ...extra } },
      });
    expect(
      run({ github: { repository: 'acme/app', ref: 'main', trigger: 'push' } }).signer?.extensions,
    ).toMatchObject({
      githubWorkflowRepository: 'acme/app',
      sourceRepositoryURI: 'https://github.com/acme/app',
      sourceRepositoryRef: 'refs/heads/main',
    });
    expect(run({ gitlab: { project: 'acme/app', ref: 'refs/heads/main' } }).signer).toBeDefined();
    expect(() => run({ github: { repository: 'acme/other' } })).toThrow(
      /github workflow repository is "acme\/app"/,
    );
    expect(() => run({ github: { ref: 'refs/heads/dev' } })).toThrow(/github workflow ref/);
    expect(() => run({ github: { trigger: 'pull_request' } })).toThrow(/trigger/);
    expect(() => run({ gitlab: { project: 'acme' } })).toThrow(/gitlab project/);
    expect(() => run({ extensions: { runnerEnvironment: 'self-hosted' } })).toThrow(/runnerEnvironment/);
  });
});

describe('certificate validity', () => {
  it('rejects a certificate that expired before its log entry was integrated', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 1123);
    const old = await startMockSigstore({ clock: { fulcio: new Date(now.getTime() - 3600_000) } });
    try {
      const signer = keylessSigner({
        identityProvider: identityProvider({ token: old.token() }),
        fulcioURL: old.fulcioURL,
      });
      const bundle = await signDsse(
        statementBytes(),
        IN_TOTO_PAYLOAD_TYPE,
        signer,
        createWitnesses({ rekorURL: old.rekorURL }),
      );
      const policy = {
        certificate: { identities: [{ subject: String(old.claims.sub), issuer: old.issuer }] },
      };
      const trustedRoot = parseTrustedRoot(old.trustedRoot);
      expect(() =>
        verifyBundle({ bundle: bundleToJSON(bundle), trustedRoot, digest: DIGEST, policy }),
      ).toThrow(/CERTIFICATE_ERROR|expired|not valid/i);
    } finally {
      await old.stop();
    }
  });
});

describe('key-based signing', () => {
  it('signs DSSE with a cosign key, uploads to Rekor, and verifies with the public key', async () => {
    const files = await generateKeyPair('pw');
    const key = await loadPrivateKey(files.privateKeyPem, 'pw');
    const bundle = await signDsse(
      statementBytes(),
      IN_TOTO_PAYLOAD_TYPE,
      keySigner(key),
      createWitnesses({ rekorURL: mock.rekorURL }),
    );
    const trustedRoot = parseTrustedRoot(mock.trustedRoot);
    const r = verifyBundle({
      bundle: bundleToJSON(bundle),
      trustedRoot,
      digest: DIGEST,
      policy: { publicKey: files.publicKeyPem },
    });
    expect(r.publicKey).toBe(files.publicKeyPem);
    expect(r.tlogEntries).toHaveLength(1);
    const other = await generateKeyPair('');
    expect(() =>
      verifyBundle({
        bundle: bundleToJSON(bundle),
        trustedRoot,
        digest: DIGEST,
        policy: { publicKey: other.publicKeyPem },
      }),
    ).toThrow(SigstoreError);
  });

  it('without Rekor verifies only when the policy waives the log', async () => {
    const files = await generateKeyPair('');
    const key = await loadPrivateKey(files.privateKeyPem, '');
    const bundle = bundleToJSON(await signDsse(statementBytes(), IN_TOTO_PAYLOAD_TYPE, keySigner(key), []));
    expect(
      verifyBundle({ bundle, digest: DIGEST, policy: { publicKey: files.publicKeyPem, tlogThreshold: 0 } })
        .tlogEntries,
    ).toEqual([]);
    const trustedRoot = parseTrustedRoot(mock.trustedRoot);
    expect(() =>
      verifyBundle({ bundle, trustedRoot, digest: DIGEST, policy: { publicKey: files.publicKeyPem } }),
    ).toThrow(/tlog/);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomImage } from '@kaniko-ts/oci';
import { Credentials, RegistryClient, StaticKeychain } from '@kaniko-ts/registry';
import { generateKeyPair } from '@kaniko-ts/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { type MockSigstore, startMockSigstore } from '../../../../test/sigstore/mock-sigstore.js';
import { runBundle } from './run-bundle.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A stand-in for the runner's token service: records requests, answers with a fixed JWT-shaped token. */
async function startOidcServer(token: string) {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ value: token }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('committed action bundles, run like the runner runs them', () => {
  it('run on Node 24, the runtime action.yml declares', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('reject an invalid input by name and fail the step', async () => {
    const run = await runBundle('build', { tags: 'r.local/app:1', push: 'maybe' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::build: parsing input push of build: expected true or false, got "maybe"',
    );
    expect(run.outputs).toEqual({});
  });

  it('explain how to grant id-token: write when keyless signing has no token service', async () => {
    const run = await runBundle('sign', { image: `ghcr.io/org/app@${DIGEST}` });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::sign: requesting an OIDC token .*permissions: id-token: write/);
  });

  it('ask the runner token service for audience sigstore and mask the token before any use', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9hcHAifQ.c2lnbmF0dXJl';
    const oidc = await startOidcServer(token);
    try {
      const run = await runBundle(
        'sign',
        { image: `ghcr.io/org/app@${DIGEST}` },
        { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token' },
      );
      expect(oidc.requests).toHaveLength(1);
      const req = oidc.requests[0]!;
      expect(new URL(req.url ?? '', 'http://x').searchParams.get('audience')).toBe('sigstore');
      expect(req.headers.authorization).toBe('Bearer runtime-token');
      const lines = run.stdout.split('\n');
      const withToken = lines.filter((l) => l.includes(token));
      expect(withToken.length).toBeGreaterThan(0);
      // The token is only ever printed inside mask commands, and masked before anything else uses it.
      expect(withToken.every((l) => l === `::add-mask::${token}`)).toBe(true);
      const firstMask = lines.findIndex((l) => l.startsWith('::add-mask::'));
      expect(lines.slice(0, firstMask).some((l) => l.startsWith('::error::'))).toBe(false);
    } finally {
      await oidc.close();
    }
  });

  describe('index against a real registry with basic auth', () => {
    let registry: RunningRegistry;
    const sources: string[] = [];
    let home: string;

    beforeAll(async () => {
      registry = await startRegistry({ variant: 'auth' });
      const creds = Credentials.basic(registry.username!, registry.password!);
      const client = new RegistryClient({
        insecureRegistries: [registry.host],
        keychain: new StaticKeychain([[registry.host, creds]]),
      });
      for (const [seed, architecture] of [
        [3, 'amd64'],
        [4, 'arm64'],
      ] as const) {
        const image = await randomImage({ seed, layers: 1, platform: { os: 'linux', architecture } });
        sources.push(
          `${registry.host}/org/app@${await client.pushImage(`${registry.host}/org/app:${architecture}`, image)}`,
        );
      }
      await client.close();
      home = join(registry.storageDir, '..', 'home');
      mkdirSync(join(home, '.docker'), { recursive: true });
      const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
      writeFileSync(
        join(home, '.docker', 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth } } }),
      );
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('writes outputs, KANIKO_TS_* env variables and a job summary', async () => {
      const run = await runBundle(
        'index',
        { sources: sources.join('\n'), tags: `${registry.host}/org/app:1.0`, insecure: 'true' },
        { HOME: home },
      );
      expect(run.stdout).not.toContain('::error::');
      expect(run.code).toBe(0);
      expect(run.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(run.outputs['image-ref']).toBe(`${registry.host}/org/app@${run.outputs.digest}`);
      expect(run.outputs.platforms).toBe('linux/amd64,linux/arm64');
      expect(JSON.parse(run.outputs.metadata ?? '{}').manifests).toHaveLength(2);
      expect(run.exported).toMatchObject({
        KANIKO_TS_DIGEST: run.outputs.digest,
        KANIKO_TS_IMAGE_REF: run.outputs['image-ref'],
        KANIKO_TS_IMAGE: `${registry.host}/org/app`,
      });
      expect(run.summary).toContain('### Multi-arch index');
      expect(run.summary).toContain(`| digest | ${run.outputs.digest} |`);
    });

    it('fails with the registry diagnostics when credentials are missing', async () => {
      const run = await runBundle('index', {
        sources: sources.join(','),
        tags: `${registry.host}/org/app:2`,
        insecure: 'true',
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/::error::index: .*(401|unauthori)/i);
      expect(run.outputs).toEqual({});
    });
  });
});

describe('build action bundle against a real registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('builds, pushes, annotates the Dockerfile line, exports env and writes the summary', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'gh-workspace-'));
    mkdirSync(join(workspace, 'app'));
    writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(join(workspace, 'app', 'hello.txt'), 'hello\n');
    const run = await runBundle(
      'build',
      {
        context: 'app',
        tags: `${registry.host}/gh/app:1\n${registry.host}/gh/app:latest`,
        insecure: 'true',
        cache: 'true',
      },
      { GITHUB_WORKSPACE: workspace },
    );
    expect(run.stdout).not.toContain('::error::');
    expect(run.code).toBe(0);
    expect(run.outputs.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs['image-ref']).toBe(`${registry.host}/gh/app@${run.outputs.digest}`);
    expect(run.exported.KANIKO_TS_IMAGE_REF).toBe(run.outputs['image-ref']);
    expect(JSON.parse(run.outputs.metadata ?? '{}')['containerimage.digest']).toBe(run.outputs.digest);
    expect(run.stdout).toMatch(/::warning file=app\/Dockerfile,line=\d+(,col=\d+)?::/);
    expect(run.stdout).toContain('layer cache: the Actions cache service is not available here');
    expect(run.stdout).toContain('::group::build');
    expect(run.summary).toContain('### Image');
    expect(run.summary).toContain(`| digest | ${run.outputs.digest} |`);
  });
});

describe('the example workflow chained through the committed bundles', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('build → sign → attest-sbom → verify, outputs feeding inputs, ends in the verified digest', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'gh-chain-'));
    writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\n');
    writeFileSync(join(workspace, 'a.txt'), 'a\n');
    const { privateKeyPem, publicKeyPem } = await generateKeyPair('s3cret-pw');
    const env = { GITHUB_WORKSPACE: workspace, GITHUB_REPOSITORY: 'org/app' };
    const secrets = {
      key: privateKeyPem,
      'key-password': 's3cret-pw',
      'tlog-upload': 'false',
      insecure: 'true',
    };

    const build = await runBundle('build', { tags: `${registry.host}/org/app:1`, insecure: 'true' }, env);
    expect(build.code, build.stdout).toBe(0);
    const sign = await runBundle('sign', { image: build.outputs['image-ref']!, ...secrets }, env);
    expect(sign.code, sign.stdout).toBe(0);
    // Every line of the PEM key and the password were masked before the step did anything.
    expect(sign.stdout).toContain('::add-mask::s3cret-pw');
    expect(
      privateKeyPem
        .trim()
        .split('\n')
        .every((l) => sign.stdout.includes(`::add-mask::${l}`)),
    ).toBe(true);
    expect(sign.outputs.digest).toBe(build.outputs.digest);
    const attest = await runBundle('attest-sbom', { image: sign.outputs['image-ref']!, ...secrets }, env);
    expect(attest.code, attest.stdout).toBe(0);
    expect(attest.outputs['predicate-type']).toBe('https://spdx.dev/Document');
    const verify = await runBundle(
      'verify',
      {
        image: attest.outputs['image-ref']!,
        key: publicKeyPem,
        'ignore-tlog': 'true',
        'require-attestation': 'spdx',
        insecure: 'true',
      },
      env,
    );
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.outputs['image-ref']).toBe(build.outputs['image-ref']);
    expect(verify.exported.KANIKO_TS_VERIFIED_IMAGE_REF).toBe(build.outputs['image-ref']);
    expect(verify.summary).toContain('### Verification');

    const wrongKey = (await generateKeyPair('')).publicKeyPem;
    const refused = await runBundle(
      'verify',
      { image: attest.outputs['image-ref']!, key: wrongKey, 'ignore-tlog': 'true', insecure: 'true' },
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.outputs).toEqual({});
  });
});

describe('keyless signing through the bundles with mock Sigstore services', () => {
  let registry: RunningRegistry;
  let sigstore: MockSigstore;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    sigstore = await startMockSigstore();
  });
  afterAll(async () => {
    await registry?.stop();
    await sigstore?.stop();
  });

  it('signs with the workflow identity, attests, and verify accepts only this repository', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'gh-keyless-'));
    writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\nCOPY b.txt /b.txt\n');
    writeFileSync(join(workspace, 'b.txt'), 'b\n');
    writeFileSync(join(workspace, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    // The runner's token service. (The mock's own endpoint wants the auth scheme spelled `bearer`;
    // @actions/core sends `Bearer`, which HTTP treats the same, so serve the mock's token ourselves.)
    const oidc = await startOidcServer(sigstore.token());
    const env = {
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: 'acme/app',
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
    };
    const services = { 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, insecure: 'true' };

    const build = await runBundle('build', { tags: `${registry.host}/acme/app:1`, insecure: 'true' }, env);
    expect(build.code, build.stdout).toBe(0);
    const sign = await runBundle('sign', { image: build.outputs['image-ref']!, ...services }, env);
    expect(sign.code, sign.stdout).toBe(0);
    expect(sign.outputs['certificate-identity']).toBe(
      'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
    );
    expect(sign.outputs['certificate-oidc-issuer']).toBe('https://token.actions.githubusercontent.com');
    expect(sign.outputs['rekor-log-index']).toMatch(/^\d+$/);
    expect(sign.summary).toContain(
      'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
    );
    expect(oidc.requests.map((r) => new URL(r.url ?? '', 'http://x').searchParams.get('audience'))).toContain(
      'sigstore',
    );
    const attest = await runBundle('attest-sbom', { image: build.outputs['image-ref']!, ...services }, env);
    expect(attest.code, attest.stdout).toBe(0);

    const verifyAs = (repository: string) =>
      runBundle(
        'verify',
        {
          image: build.outputs['image-ref']!,
          'trusted-root': 'trusted_root.json',
          'require-attestation': 'spdx',
          insecure: 'true',
        },
        { ...env, GITHUB_REPOSITORY: repository },
      );
    const verified = await verifyAs('acme/app');
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.outputs['image-ref']).toBe(build.outputs['image-ref']);
    expect(verified.outputs['certificate-identity']).toBe(sign.outputs['certificate-identity']);
    const impostor = await verifyAs('evil/app');
    expect(impostor.code).toBe(1);
    expect(impostor.stdout).toContain('::error::verify:');
    await oidc.close();
  });
});

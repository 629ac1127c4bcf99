import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import {
  parseTrustedRoot,
  SigstoreError,
  signImage,
  type TrustedRoot,
  verifyImage,
} from '@kaniko-ts/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from './harness/index.js';
import { identityPolicy, keylessOptions } from './sigstore/image-fixture.js';
import { type MockSigstore, startMockSigstore } from './sigstore/mock-sigstore.js';
import { ReferrersRegistry } from './sigstore/referrers-registry.js';

/**
 * The end-to-end path with a real build: kaniko-ts builds a Dockerfile and pushes it to the
 * harness registry, signs it keyless against mock Fulcio/Rekor/TSA and a GitHub-style token endpoint,
 * and verifies it; then services that accept connections and drop them are retried, then fail clearly.
 */
let mock: MockSigstore;
let client: RegistryClient;
let trustedRoot: TrustedRoot;
let work: string;
const reg = () => harness().registries.plain;

beforeAll(async () => {
  mock = await startMockSigstore();
  trustedRoot = parseTrustedRoot(mock.trustedRoot);
  client = new RegistryClient({ insecureRegistries: [reg().host] });
  work = await mkdtemp(join(tmpdir(), 'sigstore-build-'));
});
afterAll(async () => {
  await client?.close();
  await mock?.stop();
  await rm(work, { recursive: true, force: true });
});

async function buildAndPush(ref: string, content: string): Promise<string> {
  const ctx = join(work, content);
  await mkdir(ctx, { recursive: true });
  await writeFile(
    join(ctx, 'Dockerfile'),
    'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nCOPY app.txt /app/\n',
  );
  await writeFile(join(ctx, 'app.txt'), `${content}\n`);
  const r = await build({
    context: ctx,
    buildArgs: { REGISTRY: reg().host },
    registry: client,
    destinations: [ref],
    push: true,
  });
  if (!r.digest) throw new Error('build pushed no digest');
  return r.digest;
}

describe('build → sign keyless → verify', () => {
  it('verifies the built image with the right identity only, and not after a rebuild under the tag', async () => {
    const ref = `${reg().host}/sigstore-build/app:1`;
    const digest = await buildAndPush(ref, 'one');
    const image = { registry: client, reference: ref };
    const signed = await signImage({
      image,
      ...keylessOptions({ mock, trustedRoot }),
    });
    expect(signed.digest).toBe(digest);
    const subject = String(mock.claims.sub);
    for (const format of ['bundle', 'legacy'] as const) {
      const ok = await verifyImage({
        image,
        trustedRoot,
        policy: identityPolicy(subject, mock.issuer),
        format,
      });
      expect(ok.failures).toEqual([]);
      expect(ok).toMatchObject({ verified: true, digest, format });
      expect(ok.signatures[0]?.signer).toMatchObject({ subject, issuer: mock.issuer });
      const wrongId = await verifyImage({
        image,
        trustedRoot,
        policy: identityPolicy(`${subject}x`, mock.issuer),
        format,
      });
      expect(wrongId.verified).toBe(false);
      const wrongIssuer = await verifyImage({
        image,
        trustedRoot,
        policy: identityPolicy(subject, 'https://gitlab.com'),
        format,
      });
      expect(wrongIssuer.verified).toBe(false);
    }
    const rebuilt = await buildAndPush(ref, 'two');
    expect(rebuilt).not.toBe(digest);
    const after = await verifyImage({ image, trustedRoot, policy: identityPolicy(subject, mock.issuer) });
    expect(after).toMatchObject({ verified: false, digest: rebuilt, format: 'none' });
  });
});

/** A TCP server that accepts every connection and drops it at once: a service that is down. */
async function droppingServer(): Promise<{
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('unreachable Fulcio and Rekor', () => {
  it.each(['fulcio', 'rekor'] as const)(
    '%s dropping connections: retried, then a clear error, nothing written',
    async (service) => {
      const ref = `${reg().host}/sigstore-build/down-${service}:1`;
      const digest = await buildAndPush(ref, `down-${service}`);
      const down = await droppingServer();
      try {
        const e = await signImage({
          image: { registry: client, reference: ref },
          identity: { env: { ...mock.githubEnv } },
          fulcioURL: service === 'fulcio' ? down.url : mock.fulcioURL,
          witnesses: { rekorURL: service === 'rekor' ? down.url : mock.rekorURL, retries: 2, timeout: 5000 },
        }).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(SigstoreError);
        expect((e as SigstoreError).code).toBe('SIGNING_FAILED');
        expect((e as Error).message).toMatch(/ECONNRESET|socket hang up|other side closed|terminated/i);
        // one attempt and two retries
        expect(down.connections()).toBeGreaterThanOrEqual(3);
      } finally {
        await down.close();
      }
      const tags = await client.listTags(`${reg().host}/sigstore-build/down-${service}`);
      expect(tags).toEqual(['1']);
      expect(tags.some((t) => t.includes(digest.slice(7)))).toBe(false);
    },
  );
});

describe('a registry with the OCI 1.1 referrers API', () => {
  it('stores the bundle as a referrer without the fallback tag and verifies it through the API', async () => {
    const front = await new ReferrersRegistry(reg().url).start();
    const viaApi = new RegistryClient({ insecureRegistries: [front.host] });
    try {
      const repo = `${front.host}/sigstore-build/referrers`;
      const digest = await buildAndPush(`${reg().host}/sigstore-build/referrers:1`, 'referrers');
      const image = { registry: viaApi, reference: `${repo}:1` };
      const signed = await signImage({
        image,
        ...keylessOptions({ mock, trustedRoot }),
      });
      expect(signed.digest).toBe(digest);
      const tags = await viaApi.listTags(repo);
      expect(tags).toContain(`sha256-${digest.slice(7)}.sig`);
      expect(tags).not.toContain(`sha256-${digest.slice(7)}`);
      const listings = front.count('GET', /\/referrers\/sha256:/);
      const policy = identityPolicy(String(mock.claims.sub), mock.issuer);
      const report = await verifyImage({ image, trustedRoot, policy });
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ verified: true, format: 'bundle' });
      expect(report.signatures[0]?.source).toBe(`referrer ${signed.signatures[1]?.manifestDigest}`);
      expect(front.count('GET', /\/referrers\/sha256:/)).toBeGreaterThan(listings);
      expect(front.count('GET', new RegExp(`/manifests/sha256-${digest.slice(7)}$`))).toBe(0);
    } finally {
      await viaApi.close();
      await front.stop();
    }
  });
});

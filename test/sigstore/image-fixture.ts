import { MediaType, parseImageManifest } from '@kaniko-ts/oci';
import { RegistryClient } from '@kaniko-ts/registry';
import { parseTrustedRoot, type TrustedRoot, type TrustPolicy } from '@kaniko-ts/sigstore';
import { afterAll, beforeAll } from 'vitest';
import { type RunningRegistry, startRegistry } from '../harness/index.js';
import { type MockSigstore, startMockSigstore } from './mock-sigstore.js';

/** What the sigstore image tests share: a real registry, mock Sigstore services, a client and the root. */
export interface SigstoreImageFixture {
  registry: RunningRegistry;
  mock: MockSigstore;
  client: RegistryClient;
  trustedRoot: TrustedRoot;
}

/** Helpers bound to the file's fixture; call them only inside tests (after beforeAll). */
export interface SigstoreImageHelpers {
  /** Keyless signing options against the mock services. */
  keyless(): ReturnType<typeof keylessOptions>;
  /** The policy naming the mock OIDC token's subject and issuer. */
  rightPolicy(): TrustPolicy;
  /** {@link tamperLegacySignature} with the fixture's client. */
  tamperLegacySignature(repo: string, digest: string): Promise<void>;
}

/**
 * Registers the file's beforeAll/afterAll: starts a registry and the mock Fulcio/Rekor/TSA/OIDC
 * services. Returns them (readable inside tests, once beforeAll has run) and helpers bound to them.
 */
export function useSigstoreImageFixture(): SigstoreImageFixture & SigstoreImageHelpers {
  let f: SigstoreImageFixture | undefined;
  beforeAll(async () => {
    const [registry, mock] = await Promise.all([startRegistry(), startMockSigstore()]);
    f = {
      registry,
      mock,
      client: new RegistryClient({ insecureRegistries: [registry.host] }),
      trustedRoot: parseTrustedRoot(mock.trustedRoot),
    };
  });
  afterAll(async () => {
    await f?.client.close();
    await Promise.all([f?.registry.stop(), f?.mock.stop()]);
  });
  const started = (): SigstoreImageFixture => {
    if (!f) throw new Error('sigstore image fixture used before its beforeAll ran');
    return f;
  };
  return {
    get registry() {
      return started().registry;
    },
    get mock() {
      return started().mock;
    },
    get client() {
      return started().client;
    },
    get trustedRoot() {
      return started().trustedRoot;
    },
    keyless: () => keylessOptions(started()),
    rightPolicy: () => identityPolicy(String(started().mock.claims.sub), started().mock.issuer),
    tamperLegacySignature: (repo, digest) => tamperLegacySignature(started().client, repo, digest),
  };
}

/** Keyless signing options against the mock services (GitHub-style OIDC environment). */
export const keylessOptions = ({
  mock,
  trustedRoot,
}: Pick<SigstoreImageFixture, 'mock' | 'trustedRoot'>) => ({
  identity: { env: { ...mock.githubEnv } },
  fulcioURL: mock.fulcioURL,
  witnesses: { rekorURL: mock.rekorURL, tsaURL: mock.tsaURL },
  trustedRoot,
});

export const identityPolicy = (subject: string, issuer: string): TrustPolicy => ({
  certificate: { identities: [{ subject, issuer }] },
});

/** Flips one bit of the signature annotation of the first `.sig` layer and re-pushes the manifest. */
export async function tamperLegacySignature(
  client: RegistryClient,
  repo: string,
  digest: string,
): Promise<void> {
  const sigRef = `${repo}:sha256-${digest.slice(7)}.sig`;
  const manifest = parseImageManifest((await client.getManifest(sigRef)).bytes);
  const layer = manifest.layers[0];
  if (!layer?.annotations) throw new Error('no .sig layer');
  const sig = Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] ?? '', 'base64');
  sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0x01;
  layer.annotations['dev.cosignproject.cosign/signature'] = sig.toString('base64');
  await client.putManifest(sigRef, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);
}

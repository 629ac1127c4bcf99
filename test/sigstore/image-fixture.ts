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

/**
 * Registers the file's beforeAll/afterAll: starts a registry and the mock Fulcio/Rekor/TSA/OIDC
 * services and hands them to `use` once they run.
 */
export function useSigstoreImageFixture(use: (f: SigstoreImageFixture) => void): void {
  let f: SigstoreImageFixture | undefined;
  beforeAll(async () => {
    const [registry, mock] = await Promise.all([startRegistry(), startMockSigstore()]);
    f = {
      registry,
      mock,
      client: new RegistryClient({ insecureRegistries: [registry.host] }),
      trustedRoot: parseTrustedRoot(mock.trustedRoot),
    };
    use(f);
  });
  afterAll(async () => {
    await f?.client.close();
    await Promise.all([f?.registry.stop(), f?.mock.stop()]);
  });
}

/** Keyless signing options against the mock services (GitHub-style OIDC environment). */
export const keylessOptions = ({ mock, trustedRoot }: SigstoreImageFixture) => ({
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

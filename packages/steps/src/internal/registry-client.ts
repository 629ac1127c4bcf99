import {
  Credentials,
  DockerConfigKeychain,
  directoryContentCache,
  type Keychain,
  MultiKeychain,
  parseReference,
  RegistryClient,
  StaticKeychain,
} from '@kaniko-ts/registry';
import type { RegistryOptions } from './registry-options.js';

/**
 * A registry client for the step's options: explicit credentials for `targets`' registries first,
 * then docker's config.json (DOCKER_CONFIG / ~/.docker) from the step's environment. `contentDir`:
 * where base image configs and manifests fetched by digest are kept between runs (a build's
 * `--cache-dir`/registry), so a warm build reads them from disk (tags are still resolved remotely).
 */
export function createRegistryClient(
  options: RegistryOptions,
  targets: readonly string[],
  contentDir?: string,
): RegistryClient {
  const keychains: Keychain[] = [];
  if (options.credentials !== undefined) {
    const creds = Credentials.basic(options.credentials.username, options.credentials.password);
    const hosts = new Set(targets.map((t) => parseReference(t).registry));
    keychains.push(new StaticKeychain([...hosts].map((h) => [h, creds] as const)));
  }
  keychains.push(
    new DockerConfigKeychain({ env: options.env, ...(options.env.HOME ? { home: options.env.HOME } : {}) }),
  );
  const caFiles: Record<string, string[]> = {};
  for (const [host, path] of Object.entries(options.registryCertificates)) caFiles[host] = [path];
  return new RegistryClient({
    keychain: new MultiKeychain(keychains),
    insecureRegistries: [
      ...(options.insecure || options.insecurePull ? ['*'] : []),
      ...options.insecureRegistries,
    ],
    skipTlsVerifyRegistries: [
      ...(options.skipTlsVerify || options.skipTlsVerifyPull ? ['*'] : []),
      ...options.skipTlsVerifyRegistries,
    ],
    caFiles,
    registryMirrors: options.registryMirrors,
    registryMaps: options.registryMap,
    ...(contentDir === undefined ? {} : { contentCache: directoryContentCache(contentDir) }),
  });
}

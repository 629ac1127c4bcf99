import { Credentials, RegistryClient, type RegistryClientOptions, StaticKeychain } from '@kaniko-ts/registry';
import type { RegistryInfo } from '../harness/index.js';

/** A client configured for one of the harness registries (plain HTTP, TLS with its CA, basic auth). */
export function clientFor(reg: RegistryInfo, extra: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    ...(reg.variant === 'tls'
      ? { caFiles: { [reg.host]: [reg.caFile!] } }
      : { insecureRegistries: [reg.host] }),
    ...(reg.username !== undefined
      ? { keychain: new StaticKeychain([[reg.host, Credentials.basic(reg.username, reg.password!)]]) }
      : {}),
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  });
}

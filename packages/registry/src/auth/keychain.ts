import type { Credentials } from './credentials.js';

/**
 * Finds credentials for a registry host (`index.docker.io`, `127.0.0.1:5000`). `undefined` means
 * anonymous. Implementations: `DockerConfigKeychain`, `StaticKeychain`, `MultiKeychain`.
 */
export interface Keychain {
  resolve(registry: string): Promise<Credentials | undefined>;
}

/** Credentials given explicitly (CLI flags, step inputs), per registry host. */
export class StaticKeychain implements Keychain {
  readonly #byRegistry: Map<string, Credentials>;

  constructor(entries: Iterable<readonly [string, Credentials]>) {
    this.#byRegistry = new Map([...entries].map(([host, creds]) => [host.toLowerCase(), creds]));
  }

  async resolve(registry: string): Promise<Credentials | undefined> {
    return this.#byRegistry.get(registry.toLowerCase());
  }
}

/** Asks each keychain in turn; the first that has credentials wins. */
export class MultiKeychain implements Keychain {
  readonly #keychains: readonly Keychain[];

  constructor(keychains: readonly Keychain[]) {
    this.#keychains = keychains;
  }

  async resolve(registry: string): Promise<Credentials | undefined> {
    for (const keychain of this.#keychains) {
      const found = await keychain.resolve(registry);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** A keychain that never has credentials. */
export const anonymousKeychain: Keychain = { resolve: async () => undefined };

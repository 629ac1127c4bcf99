import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { RegistryError } from '../registry-error.js';
import { runCredentialHelper } from './credential-helper.js';
import { Credentials } from './credentials.js';
import type { Keychain } from './keychain.js';

export interface DockerConfigKeychainOptions {
  /** Environment: `DOCKER_CONFIG` selects the directory, `PATH` finds credential helpers. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Home directory; `~/.docker/config.json` is used when `DOCKER_CONFIG` is unset. */
  readonly home?: string;
  /** Explicit config file path; overrides `DOCKER_CONFIG` and `home`. */
  readonly configPath?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Key docker itself uses for Docker Hub in `auths` and when talking to credential helpers. */
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
const hubAliases = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

/**
 * Reads docker's `config.json` the way the docker CLI does: `credHelpers[host]` first, then
 * `credsStore`, then `auths` (base64 `auth`, `username`/`password`, `identitytoken`). A missing file
 * means anonymous. The file is re-read on each lookup so `docker login` during a run is seen.
 */
export class DockerConfigKeychain implements Keychain {
  readonly #options: DockerConfigKeychainOptions;

  constructor(options: DockerConfigKeychainOptions) {
    this.#options = options;
  }

  /** Where the config file is looked for. */
  get configPath(): string | undefined {
    const { configPath, env, home } = this.#options;
    if (configPath !== undefined) return configPath;
    if (env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '')
      return join(env.DOCKER_CONFIG, 'config.json');
    if (home !== undefined) return join(home, '.docker', 'config.json');
    return undefined;
  }

  async resolve(registry: string): Promise<Credentials | undefined> {
    const path = this.configPath;
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RegistryError('CREDENTIALS', `reading docker config ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let config: DockerConfig;
    try {
      config = JSON.parse(text) as DockerConfig;
    } catch {
      throw new RegistryError('CREDENTIALS', `reading docker config ${path}: invalid JSON`);
    }
    const host = registry.toLowerCase();
    const isHub = hubAliases.has(host);
    const serverUrl = isHub ? DOCKER_HUB_SERVER_URL : host;
    const helper = findByHost(config.credHelpers ?? {}, host, isHub);
    const helperOptions = { env: this.#options.env };
    if (helper !== undefined) return runCredentialHelper(helper, serverUrl, helperOptions);
    if (config.credsStore !== undefined && config.credsStore !== '') {
      const fromStore = await runCredentialHelper(config.credsStore, serverUrl, helperOptions);
      if (fromStore !== undefined) return fromStore;
    }
    const entry = findByHost(config.auths ?? {}, host, isHub);
    return entry === undefined ? undefined : fromAuthEntry(entry, path, registry);
  }
}

/** Config keys may be `host`, `https://host`, `https://host/v1/` …; Docker Hub has several names. */
function findByHost<T>(map: Record<string, T>, host: string, isHub: boolean): T | undefined {
  for (const [key, value] of Object.entries(map)) {
    const keyHost = key
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]!
      .toLowerCase();
    if (keyHost === host || (isHub && hubAliases.has(keyHost))) return value;
  }
  return undefined;
}

function fromAuthEntry(entry: AuthEntry, path: string, registry: string): Credentials | undefined {
  if (entry.registrytoken) return Credentials.registryToken(entry.registrytoken);
  if (entry.identitytoken) return Credentials.identityToken(entry.identitytoken, entry.username);
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new RegistryError(
        'CREDENTIALS',
        `reading docker config ${path}: auth for ${registry} is not base64 "user:password"`,
      );
    }
    return Credentials.basic(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    return Credentials.basic(entry.username, entry.password);
  }
  return undefined;
}

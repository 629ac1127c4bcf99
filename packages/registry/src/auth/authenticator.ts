import { errorFromResponse, RegistryError } from '../registry-error.js';
import { type Challenge, parseChallenges } from './challenge.js';
import type { Credentials } from './credentials.js';
import type { Keychain } from './keychain.js';

/** What the authenticator needs from the transport to talk to a token server. */
export type TokenFetch = (
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; text: string; retryAfter?: string }>;

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

/**
 * Answers registry auth challenges and caches what it learns, per client instance: the challenge
 * each registry sent, and one bearer token per (registry, scope set) until it expires. Concurrent
 * requests for the same token share one token-server round trip.
 */
export class Authenticator {
  readonly #keychain: Keychain;
  readonly #fetch: TokenFetch;
  readonly #now: () => number;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();
  /** Keychain answers per registry: a credential helper runs once per client, not per request. */
  readonly #credentials = new Map<string, Promise<Credentials | undefined>>();

  constructor(keychain: Keychain, fetch: TokenFetch, now: () => number = Date.now) {
    this.#keychain = keychain;
    this.#fetch = fetch;
    this.#now = now;
  }

  /** The `Authorization` header to send to `registry` for `scopes`, when a challenge is known. */
  async authorization(
    registry: string,
    scopes: readonly string[],
    operation: string,
  ): Promise<string | undefined> {
    const challenge = this.#challenges.get(registry);
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') return (await this.#resolve(registry))?.basicAuthorization();
    const key = tokenKey(registry, challenge, scopes);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.#now()) return cached.header;
    return (await this.#token(registry, challenge, scopes, operation)).header;
  }

  /**
   * Learns from a 401's `WWW-Authenticate` header. Returns true when there is something new to
   * present (a fresh token, or basic credentials), false when retrying would be pointless.
   */
  async handleChallenge(
    registry: string,
    header: string | undefined,
    scopes: readonly string[],
    operation: string,
  ): Promise<boolean> {
    const challenges = parseChallenges(header ?? '');
    const challenge =
      challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (challenge === undefined) return false;
    this.#challenges.set(registry, challenge);
    if (challenge.scheme === 'basic') {
      const creds = await this.#resolve(registry);
      return creds?.basicAuthorization() !== undefined;
    }
    const wanted = mergeScopes(scopes, challenge.params.scope?.split(' ') ?? []);
    this.#tokens.delete(tokenKey(registry, challenge, wanted));
    await this.#token(registry, challenge, wanted, operation);
    if (tokenKey(registry, challenge, wanted) !== tokenKey(registry, challenge, scopes)) {
      // remember under the caller's scope set too, so the retry finds it
      const token = this.#tokens.get(tokenKey(registry, challenge, wanted));
      if (token !== undefined) this.#tokens.set(tokenKey(registry, challenge, scopes), token);
    }
    return true;
  }

  #resolve(registry: string): Promise<Credentials | undefined> {
    let found = this.#credentials.get(registry);
    if (found === undefined) {
      found = this.#keychain.resolve(registry);
      this.#credentials.set(registry, found);
      // a failed lookup (helper crashed) is not remembered
      found.catch(() => this.#credentials.delete(registry));
    }
    return found;
  }

  #token(
    registry: string,
    challenge: Challenge,
    scopes: readonly string[],
    operation: string,
  ): Promise<CachedToken> {
    const key = tokenKey(registry, challenge, scopes);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetchToken(registry, challenge, scopes, operation).finally(() =>
        this.#pending.delete(key),
      );
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #fetchToken(
    registry: string,
    challenge: Challenge,
    scopes: readonly string[],
    operation: string,
  ): Promise<CachedToken> {
    const creds = await this.#resolve(registry);
    if (creds?.kind === 'registry-token') {
      const token = { header: `Bearer ${creds.revealSecret()}`, expiresAt: Number.POSITIVE_INFINITY };
      this.#tokens.set(tokenKey(registry, challenge, scopes), token);
      return token;
    }
    const realm = challenge.params.realm;
    if (realm === undefined) {
      throw new RegistryError(
        'UNAUTHORIZED',
        `${operation}: bearer challenge from ${registry} has no realm`,
        {
          registry,
          status: 401,
        },
      );
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(
        'INVALID_RESPONSE',
        `${operation}: invalid token realm ${JSON.stringify(realm)}`,
        {
          registry,
        },
      );
    }
    const service = challenge.params.service;
    const response = await this.#request(url, creds, service, scopes);
    const what = `${operation}: fetching token from ${url.host}`;
    if (response.status !== 200) {
      const error = errorFromResponse(what, registry, response.status, response.text);
      // token servers say 401 or 403 for bad credentials; both mean "unauthorized" to the caller
      if (response.status === 401 || response.status === 403) {
        throw new RegistryError('UNAUTHORIZED', error.message, {
          status: response.status,
          registry,
          diagnostics: error.diagnostics,
        });
      }
      throw error;
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.text) as typeof body;
    } catch {
      throw new RegistryError('INVALID_RESPONSE', `${what}: response is not JSON`, { registry });
    }
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError('INVALID_RESPONSE', `${what}: response has no token`, { registry });
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const cached = { header: `Bearer ${token}`, expiresAt: this.#now() + Math.max(1, lifetime - 10) * 1000 };
    this.#tokens.set(tokenKey(registry, challenge, scopes), cached);
    return cached;
  }

  #request(url: URL, creds: Credentials | undefined, service: string | undefined, scopes: readonly string[]) {
    if (creds?.kind === 'identity-token') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'kaniko-ts' });
      if (service !== undefined) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      form.set('refresh_token', creds.revealSecret());
      return this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    }
    const query = new URL(url);
    if (service !== undefined) query.searchParams.set('service', service);
    for (const scope of scopes) query.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    const basic = creds?.basicAuthorization();
    if (basic !== undefined) headers.authorization = basic;
    return this.#fetch(query, { method: 'GET', headers });
  }
}

function tokenKey(registry: string, challenge: Challenge, scopes: readonly string[]): string {
  return [registry, challenge.params.realm ?? '', challenge.params.service ?? '', ...[...scopes].sort()].join(
    '\n',
  );
}

/** Unions scopes, merging the actions of the same resource (`repository:a:pull` + `repository:a:push`). */
function mergeScopes(a: readonly string[], b: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of [...a, ...b]) {
    const colon = scope.lastIndexOf(':');
    if (scope === '' || colon <= 0) continue;
    const resource = scope.slice(0, colon);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const action of scope.slice(colon + 1).split(',')) if (action !== '') actions.add(action);
    byResource.set(resource, actions);
  }
  return [...byResource].map(([resource, actions]) => `${resource}:${[...actions].join(',')}`);
}

/** `repository:<name>:<actions>` as token servers expect it. */
export function repositoryScope(repository: string, ...actions: ('pull' | 'push' | 'delete')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

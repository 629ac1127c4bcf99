import { inspect } from 'node:util';

/**
 * Credentials for one registry. The secret lives in a private field, so it never shows up in
 * `JSON.stringify`, `util.inspect`, object spreads or an error's enumerable fields; only the transport
 * reads it, through the methods below, to build an `Authorization` header or a token request.
 */
export class Credentials {
  /** `basic`: username + password; `identity-token`: OAuth2 refresh token; `registry-token`: a ready bearer token. */
  readonly kind: 'basic' | 'identity-token' | 'registry-token';
  readonly username: string | undefined;
  readonly #secret: string;

  private constructor(kind: Credentials['kind'], username: string | undefined, secret: string) {
    this.kind = kind;
    this.username = username;
    this.#secret = secret;
  }

  static basic(username: string, password: string): Credentials {
    return new Credentials('basic', username, password);
  }

  /** An identity token (docker `identitytoken`, or a helper answering with username `<token>`). */
  static identityToken(token: string, username?: string): Credentials {
    return new Credentials('identity-token', username, token);
  }

  /** A bearer token sent as-is (`registrytoken` in docker config). */
  static registryToken(token: string): Credentials {
    return new Credentials('registry-token', undefined, token);
  }

  /** `Basic base64(user:password)` for `basic` credentials, undefined otherwise. */
  basicAuthorization(): string | undefined {
    if (this.kind !== 'basic') return undefined;
    return `Basic ${Buffer.from(`${this.username ?? ''}:${this.#secret}`).toString('base64')}`;
  }

  /** The secret itself; for building token requests. Never log it. */
  revealSecret(): string {
    return this.#secret;
  }

  toJSON(): object {
    return { kind: this.kind, username: this.username, secret: '<redacted>' };
  }

  [inspect.custom](): string {
    return `Credentials { kind: '${this.kind}', username: ${JSON.stringify(this.username)}, secret: <redacted> }`;
  }
}

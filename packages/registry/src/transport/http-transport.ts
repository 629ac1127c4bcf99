import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecureContext } from 'node:tls';
import type { Agent, Dispatcher } from 'undici';
import { Authenticator } from '../auth/authenticator.js';
import type { Keychain } from '../auth/keychain.js';
import { errorFromResponse, RegistryError } from '../registry-error.js';
import type { HostOptions } from './host-options.js';
import {
  backoffDelay,
  isRetryableNetworkError,
  isTimeoutError,
  parseRetryAfter,
  type RetryPolicy,
} from './retry-policy.js';
import { loadUndici, type UndiciParts } from './undici-loader.js';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** A structured log line; never contains credentials or query strings. */
export interface RegistryLogEvent {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
}

export interface TransportOptions {
  readonly keychain: Keychain;
  readonly hostOptions: (host: string) => HostOptions;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
  readonly logger: (event: RegistryLogEvent) => void;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly random?: () => number;
}

export interface TransportRequest {
  readonly method: HttpMethod;
  /** Registry host the request is for (decides scheme, TLS settings and credentials). */
  readonly registry: string;
  /** `/v2/...` path (with query) or an absolute URL, e.g. an upload `Location`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Creates the body afresh for each attempt, so retries can resend it. */
  readonly body?: () => Uint8Array | string | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
  /** Token scopes, e.g. `repository:foo:pull,push`. */
  readonly scopes: readonly string[];
  /** What we were doing, for error messages: "pushing blob sha256:… to host/repo". */
  readonly operation: string;
  /** Statuses that count as success; anything else is an error. */
  readonly expect: readonly number[];
  /** Set false when a request must not be replayed. */
  readonly retry?: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The final URL (after redirects). */
  readonly url: URL;
  readonly body: Dispatcher.ResponseData['body'];
  /** The auth scheme presented on the final request (`basic`, `bearer`), if any. */
  readonly presented?: string;
}

/**
 * The HTTP layer: one undici `Agent` per registry host (its own CA files / skip-verify), scheme
 * chosen by the insecure list, bearer/basic auth through the `Authenticator`, redirects for reads,
 * and retries with backoff. A 401 is answered once; a second 401 fails at once (no retry storm).
 */
export class HttpTransport {
  readonly #options: TransportOptions;
  readonly #agents = new Map<string, Promise<Agent>>();
  /** undici, loaded on the first request: a command that never talks to a registry never evaluates it. */
  #undici: Promise<UndiciParts> | undefined;
  readonly authenticator: Authenticator;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.authenticator = new Authenticator(options.keychain, (url, init) => this.#tokenFetch(url, init));
  }

  /** `https://host` or `http://host` for a registry. */
  baseUrl(registry: string): string {
    return `${this.#options.hostOptions(registry).insecure ? 'http' : 'https'}://${registry}`;
  }

  /** Sends a request and returns the response with its body unread. */
  send(req: TransportRequest): Promise<TransportResponse> {
    return this.#execute(req, false).then((r) => r.response);
  }

  /** Sends a request and reads the whole body (a short body is retried like a reset). */
  async sendForBytes(req: TransportRequest): Promise<{ response: TransportResponse; bytes: Buffer }> {
    const { response, bytes } = await this.#execute(req, true);
    return { response, bytes: bytes ?? Buffer.alloc(0) };
  }

  async close(): Promise<void> {
    const agents = await Promise.allSettled(this.#agents.values());
    this.#agents.clear();
    await Promise.all(agents.map((a) => (a.status === 'fulfilled' ? a.value.close() : undefined)));
  }

  async #execute(
    req: TransportRequest,
    readBody: boolean,
  ): Promise<{ response: TransportResponse; bytes?: Buffer }> {
    const policy = this.#options.retry;
    const maxAttempts = req.retry === false ? 1 : policy.maxAttempts;
    let attempt = 0;
    let slept = 0;
    let answeredChallenge = false;
    const url = new URL(req.url, this.baseUrl(req.registry));
    const retryOrThrow = async (error: RegistryError, retryAfterMs?: number): Promise<void> => {
      if (!error.retryable || attempt >= maxAttempts) throw error;
      const delay = backoffDelay(policy, attempt, this.#options.random, retryAfterMs);
      if (slept + delay > policy.maxTotalDelayMs) throw error;
      this.#options.logger({
        level: 'warn',
        message: `${req.operation}: ${error.message.slice(req.operation.length + 2)}; retrying in ${delay} ms (attempt ${attempt + 1}/${maxAttempts})`,
      });
      slept += delay;
      await sleep(delay);
    };
    for (;;) {
      attempt++;
      let response: TransportResponse;
      try {
        response = await this.#dispatch(req, url);
      } catch (error) {
        await retryOrThrow(this.#networkError(req, error));
        continue;
      }
      if (response.status === 401 && !answeredChallenge) {
        await drain(response);
        answeredChallenge = true;
        if (response.presented === 'basic') throw errorFromResponse(req.operation, req.registry, 401, '');
        const header = response.headers['www-authenticate'];
        if (await this.authenticator.handleChallenge(req.registry, header, req.scopes, req.operation)) {
          attempt--; // answering a challenge is not a retry
          continue;
        }
        throw errorFromResponse(req.operation, req.registry, 401, '');
      }
      if (!req.expect.includes(response.status)) {
        const text = req.method === 'HEAD' ? '' : await readText(response).catch(() => '');
        const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        const error = errorFromResponse(
          req.operation,
          req.registry,
          response.status,
          text,
          retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
        );
        if (response.status === 401 || response.status === 403) throw error;
        await retryOrThrow(error, retryAfterMs);
        continue;
      }
      if (!readBody) return { response };
      try {
        const bytes = Buffer.from(await response.body.arrayBuffer());
        const expected = response.headers['content-length'];
        if (req.method !== 'HEAD' && expected !== undefined && Number(expected) !== bytes.length) {
          throw Object.assign(new Error(`short body: ${bytes.length} of ${expected} bytes`), {
            code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
          });
        }
        return { response, bytes };
      } catch (error) {
        await retryOrThrow(this.#networkError(req, error));
      }
    }
  }

  async #dispatch(req: TransportRequest, start: URL): Promise<TransportResponse> {
    let url = start;
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { 'user-agent': this.#options.userAgent, ...req.headers };
      if (url.host.toLowerCase() === req.registry.toLowerCase()) {
        const authorization = await this.authenticator.authorization(req.registry, req.scopes, req.operation);
        if (authorization !== undefined) headers.authorization = authorization;
      }
      const { request } = await this.#loadUndici();
      const res = await request(await this.#agent(url.host), url, {
        method: req.method,
        headers,
        body: redirects === 0 ? (req.body?.() as Dispatcher.DispatchOptions['body']) : undefined,
        headersTimeout: this.#options.headersTimeoutMs,
        bodyTimeout: this.#options.bodyTimeoutMs,
        // undici closes the connection after every HEAD (for servers that send a body anyway);
        // registries do not, and a push is mostly HEADs: each would cost a new TCP (and TLS) connection
        ...(req.method === 'HEAD' ? { reset: false } : {}),
      });
      const location = res.headers.location;
      const follow =
        (req.method === 'GET' || req.method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode);
      if (!follow || typeof location !== 'string' || redirects >= 5) {
        const presented = headers.authorization?.split(' ')[0]?.toLowerCase();
        return {
          status: res.statusCode,
          headers: flatten(res.headers),
          url,
          body: res.body,
          ...(presented === undefined ? {} : { presented }),
        };
      }
      await res.body.dump();
      url = new URL(location, url);
    }
  }

  #networkError(req: TransportRequest, error: unknown): RegistryError {
    if (error instanceof RegistryError) return error;
    const timeout = isTimeoutError(error);
    const reason = describe(error);
    return new RegistryError(timeout ? 'TIMEOUT' : 'NETWORK', `${req.operation}: ${reason}`, {
      registry: req.registry,
      retryable: isRetryableNetworkError(error),
      cause: error,
    });
  }

  #loadUndici(): Promise<UndiciParts> {
    this.#undici ??= loadUndici();
    return this.#undici;
  }

  #agent(host: string): Promise<Agent> {
    const key = host.toLowerCase();
    let agent = this.#agents.get(key);
    if (agent === undefined) {
      agent = this.#createAgent(key);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  async #createAgent(host: string): Promise<Agent> {
    const options = this.#options.hostOptions(host);
    const load = (file: string, what: string) =>
      readFile(file, 'utf8').catch((error: unknown) => {
        throw new RegistryError(
          'NETWORK',
          `loading ${what} ${file} for ${host}: ${(error as Error).message}`,
          {
            registry: host,
            cause: error,
          },
        );
      });
    const extra = await Promise.all(options.caFiles.map((file) => load(file, 'CA file')));
    const client = options.clientCertificate;
    const identity =
      client === undefined
        ? {}
        : {
            cert: await load(client.certFile, 'client certificate'),
            key: await load(client.keyFile, 'client key'),
          };
    // one secure context per registry: parsing the CA bundle on every connection is slow. node:tls
    // is loaded only here (and by undici on an HTTPS connection): a plain-HTTP build never pays for it
    let secureContext: SecureContext | undefined;
    if (extra.length > 0 || client !== undefined) {
      const { createSecureContext, rootCertificates } = await import('node:tls');
      secureContext = createSecureContext({
        ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
        ...identity,
      });
    }
    const { Agent } = await this.#loadUndici();
    return new Agent({
      allowH2: false,
      connect: {
        timeout: this.#options.connectTimeoutMs,
        rejectUnauthorized: !options.skipTlsVerify,
        ...(secureContext === undefined ? {} : { secureContext }),
      },
      headersTimeout: this.#options.headersTimeoutMs,
      bodyTimeout: this.#options.bodyTimeoutMs,
    });
  }

  async #tokenFetch(
    url: URL,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  ): Promise<{ status: number; text: string }> {
    const policy = this.#options.retry;
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const { request } = await this.#loadUndici();
        const res = await request(await this.#agent(url.host), url, {
          method: init.method,
          headers: { 'user-agent': this.#options.userAgent, ...init.headers },
          body: init.body,
          headersTimeout: this.#options.headersTimeoutMs,
          bodyTimeout: this.#options.bodyTimeoutMs,
        });
        const text = await res.body.text();
        const retryAfterMs = parseRetryAfter(flatten(res.headers)['retry-after']);
        const retryable = res.statusCode === 429 || res.statusCode >= 500;
        const delay = backoffDelay(policy, attempt, this.#options.random, retryAfterMs);
        if (!retryable || attempt >= policy.maxAttempts || slept + delay > policy.maxTotalDelayMs) {
          return { status: res.statusCode, text };
        }
        slept += delay;
        await sleep(delay);
      } catch (error) {
        const delay = backoffDelay(policy, attempt, this.#options.random);
        if (
          !isRetryableNetworkError(error) ||
          attempt >= policy.maxAttempts ||
          slept + delay > policy.maxTotalDelayMs
        ) {
          throw new RegistryError('NETWORK', `fetching token from ${url.host}: ${describe(error)}`, {
            cause: error,
          });
        }
        slept += delay;
        await sleep(delay);
      }
    }
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readText(response: TransportResponse): Promise<string> {
  const text = await response.body.text();
  return text.length > 65_536 ? text.slice(0, 65_536) : text;
}

async function drain(response: TransportResponse): Promise<void> {
  await response.body.dump().catch(() => undefined);
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = (e.message ?? String(error)).toLowerCase();
  return code !== undefined && !message.includes(code.toLowerCase()) ? `${message} (${code})` : message;
}

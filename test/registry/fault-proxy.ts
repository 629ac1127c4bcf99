import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to a matching request. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Destroys the client socket before answering (ECONNRESET / "other side closed"). */
  | { kind: 'reset' }
  /** Forwards, sends the upstream headers and half the body, then destroys the socket. */
  | { kind: 'truncate' }
  /** Forwards, flips one byte in the middle of the response body (same length). */
  | { kind: 'corrupt-response' }
  /** Flips one byte in the middle of the request body before forwarding it. */
  | { kind: 'corrupt-request' }
  /** Waits this long before answering (to trip the client's headers timeout), then forwards. */
  | { kind: 'stall'; ms: number }
  /** Forwards, then adds these headers to the response (e.g. `OCI-Subject`). */
  | { kind: 'add-headers'; headers: Record<string, string> };

export interface FaultRule {
  readonly method?: string;
  /** Matched against the request path (with query); any `{test(path)}` works, e.g. a counter. */
  readonly path: RegExp | { test(path: string): boolean };
  /** How many matching requests get the fault; then they pass through. Default 1. */
  times?: number;
  readonly fault: Fault;
}

export interface ProxyRequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number | 'fault';
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

export interface BearerOptions {
  /** Credentials the token endpoint requires (Basic); absent = anonymous tokens. */
  readonly username?: string;
  readonly password?: string;
  /** Repositories whose tokens never carry `push` (a read-only robot account). */
  readonly readOnly?: readonly string[];
}

/**
 * A loopback HTTP proxy in front of a real registry that injects faults (statuses, resets,
 * truncated or corrupted bodies) and optionally replaces the registry's auth with a bearer-token
 * scheme of its own (`/token` realm, scopes checked per repository and action). Every request is
 * logged so tests can count retries.
 */
export class FaultProxy {
  readonly rules: FaultRule[] = [];
  readonly log: ProxyRequestLog[] = [];
  readonly tokenRequests: { scopes: string[]; authorized: boolean }[] = [];
  readonly #upstream: URL;
  readonly #bearer: BearerOptions | undefined;
  readonly #tokens = new Map<string, Set<string>>();
  #server: http.Server | undefined;
  host = '';

  constructor(upstream: string, bearer?: BearerOptions) {
    this.#upstream = new URL(upstream);
    this.#bearer = bearer;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** Requests seen whose method and path match. */
  count(method: string, path: RegExp): number {
    return this.log.filter((l) => l.method === method && path.test(l.path)).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const entry = (status: number | 'fault') =>
      this.log.push({
        method,
        path,
        status,
        authorization: req.headers.authorization,
        range: req.headers.range,
      });
    if (this.#bearer !== undefined) {
      if (path.startsWith('/token')) return this.#token(req, res);
      const denied = this.#checkBearer(req, path, method);
      if (denied !== undefined) {
        entry(401);
        req.resume();
        res.writeHead(401, { 'www-authenticate': denied, 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'token required' }] }));
        return;
      }
    }
    const rule = this.rules.find(
      (r) => (r.times ?? 1) > 0 && (r.method === undefined || r.method === method) && r.path.test(path),
    );
    if (rule !== undefined) rule.times = (rule.times ?? 1) - 1;
    const fault = rule?.fault;
    if (fault?.kind === 'reset') {
      entry('fault');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      entry(fault.status);
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    let body: Buffer = Buffer.concat(await req.toArray());
    if (fault?.kind === 'corrupt-request' && body.length > 0) body = flip(body);
    const headers = { ...req.headers };
    delete headers.authorization; // the upstream is the plain registry
    if (this.#bearer === undefined && req.headers.authorization)
      headers.authorization = req.headers.authorization;
    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const out = http.request(
        { host: this.#upstream.hostname, port: this.#upstream.port, method, path, headers },
        resolve,
      );
      out.on('error', reject);
      out.end(body);
    });
    const payload = Buffer.concat(await upstream.toArray());
    entry(fault === undefined ? (upstream.statusCode ?? 0) : 'fault');
    res.writeHead(upstream.statusCode ?? 502, {
      ...upstream.headers,
      ...(fault?.kind === 'add-headers' ? fault.headers : {}),
    });
    if (fault?.kind === 'truncate' && payload.length > 1) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(fault?.kind === 'corrupt-response' && payload.length > 0 ? flip(payload) : payload);
  }

  #checkBearer(req: http.IncomingMessage, path: string, method: string): string | undefined {
    const m = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)\//.exec(path);
    const needed: string[] = [];
    if (m) {
      const action = method === 'GET' || method === 'HEAD' ? 'pull' : 'push';
      needed.push(`repository:${m[1]}:${action}`);
      const from = new URL(path, 'http://x').searchParams.get('from');
      if (from) needed.push(`repository:${from}:pull`);
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = token === undefined ? undefined : this.#tokens.get(token);
    if (granted !== undefined && needed.every((n) => granted.has(n))) return undefined;
    const scope = needed.length > 0 ? `,scope="${needed.join(' ')}"` : '';
    return `Bearer realm="http://${this.host}/token",service="fault-proxy"${scope}`;
  }

  #token(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
    const expected =
      this.#bearer?.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${this.#bearer.username}:${this.#bearer.password}`).toString('base64')}`;
    const authorized = expected === undefined || req.headers.authorization === expected;
    this.tokenRequests.push({ scopes, authorized });
    req.resume();
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const token = randomBytes(16).toString('hex');
    const granted = new Set<string>();
    for (const scope of scopes) {
      const [type, name, actions] = scope.split(':');
      for (const action of (actions ?? '').split(',')) {
        if (action === 'push' && this.#bearer?.readOnly?.includes(name ?? '')) continue;
        granted.add(`${type}:${name}:${action}`);
      }
      if ((actions ?? '').includes('push')) granted.add(`${type}:${name}:pull`);
    }
    this.#tokens.set(token, granted);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  }
}

function flip(buffer: Buffer): Buffer {
  const copy = Buffer.from(buffer);
  const i = Math.floor(copy.length / 2);
  copy[i] = (copy[i] ?? 0) ^ 0xff;
  return copy;
}

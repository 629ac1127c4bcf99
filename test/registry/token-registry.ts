import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serveRegistry } from './mtls-registry.js';
import { p256Request } from './p256-request.js';

export interface TokenRegistry {
  /** The registry (plain HTTP), which verifies the tokens itself (distribution `auth.token`). */
  readonly host: string;
  /** Token requests seen: requested scopes and whether the credentials were right. */
  readonly tokenRequests: { scopes: string[]; authorized: boolean }[];
  stop(): Promise<void>;
}

/**
 * A real distribution registry configured for token auth, plus a small token server that signs
 * ES256 JWTs (x5c chain = a self-signed certificate the registry trusts as `rootcertbundle`).
 * The registry itself checks issuer, audience, expiry, signature and the `access` claims, so this
 * exercises our bearer flow against distribution's own implementation. `readOnly` repositories
 * never get `push`.
 */
export async function startTokenRegistry(opts: {
  username: string;
  password: string;
  readOnly?: string[];
}): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-token-'));
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  await p256Request({ keyFile, out: certFile, subject: '/CN=kaniko-ts token issuer', selfSignedDays: 2 });
  const key = createPrivateKey(await readFile(keyFile));
  const der = (await readFile(certFile, 'utf8')).replace(/-----[A-Z ]+-----|\s/g, '');
  const tokenRequests: TokenRegistry['tokenRequests'] = [];
  const expected = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
  const b64 = (v: object | Buffer) =>
    (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' '));
    const authorized = req.headers.authorization === expected;
    tokenRequests.push({ scopes, authorized });
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const access = scopes.map((scope) => {
      const [type, name, actions = ''] = scope.split(':');
      const allowed = actions
        .split(',')
        .filter((a) => !(a === 'push' && opts.readOnly?.includes(name ?? '')));
      return { type, name, actions: allowed };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ typ: 'JWT', alg: 'ES256', x5c: [der] });
    const claims = b64({
      iss: 'kaniko-ts-test',
      sub: opts.username,
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    });
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${b64(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  const host = `127.0.0.1:${await freePort()}`;
  let stopRegistry: () => Promise<void>;
  try {
    stopRegistry = await serveRegistry(dir, {
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: join(dir, 'storage') } },
      http: { addr: host },
      auth: {
        token: { realm, service: 'kaniko-ts-registry', issuer: 'kaniko-ts-test', rootcertbundle: certFile },
      },
    });
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    host,
    tokenRequests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopRegistry();
    },
  };
}

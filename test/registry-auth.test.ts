import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  Credentials,
  DockerConfigKeychain,
  RegistryClient,
  RegistryError,
  type RegistryLogEvent,
  StaticKeychain,
} from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from './harness/index.js';
import { clientFor } from './registry/clients.js';
import { FaultProxy } from './registry/fault-proxy.js';
import { assembleImage, randomLayer } from './registry/images.js';
import { startMtlsRegistry } from './registry/mtls-registry.js';
import { startTokenRegistry } from './registry/token-registry.js';

let basic: RunningRegistry;
let plain: RunningRegistry;
let tls: RunningRegistry;
let scratch: string;

beforeAll(async () => {
  [basic, plain, tls] = await Promise.all([
    startRegistry({ variant: 'auth' }),
    startRegistry({ variant: 'plain' }),
    startRegistry({ variant: 'tls' }),
  ]);
  scratch = await mkdtemp(join(tmpdir(), 'registry-auth-'));
});

afterAll(async () => {
  await Promise.all([basic.stop(), plain.stop(), tls.stop()]);
  await rm(scratch, { recursive: true, force: true });
});

function expectNoSecret(error: unknown, secret: string): void {
  for (const view of [
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 5 }),
    (error as Error).stack,
  ]) {
    expect(view).not.toContain(secret);
  }
}

describe('basic auth (htpasswd registry)', () => {
  it('a wrong password fails with one clear 401 naming the registry, without a retry storm', async () => {
    const proxy = await new FaultProxy(basic.url).start();
    const wrong = 'definitely-wrong-password';
    const client = new RegistryClient({
      insecureRegistries: [proxy.host],
      keychain: new StaticKeychain([[proxy.host, Credentials.basic(basic.username!, wrong)]]),
      retry: { initialDelayMs: 10 },
    });
    const error = await client.pullImage(`${proxy.host}/auth/denied:1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    const e = error as RegistryError;
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.status).toBe(401);
    expect(e.registry).toBe(proxy.host);
    expect(e.message).toBe(
      `getting manifest ${proxy.host}/auth/denied:1: 401 unauthorized: authentication required`,
    );
    expectNoSecret(error, wrong);
    // one request learns the Basic challenge, one presents the credentials, then it stops
    expect(proxy.log.map((l) => l.authorization !== undefined)).toEqual([false, true]);
    // the client now knows the challenge: the next operation presents credentials at once, once
    const image = assembleImage([randomLayer(1000)]);
    const push = await client.pushImage(`${proxy.host}/auth/denied:1`, image).catch((x: unknown) => x);
    expect((push as RegistryError).code).toBe('UNAUTHORIZED');
    expect((push as RegistryError).message).toMatch(
      new RegExp(`^checking blob sha256:[0-9a-f]{64} in ${proxy.host}/auth/denied: 401 unauthorized`),
    );
    expectNoSecret(push, wrong);
    // two blobs (config, layer) and the tag's manifest checked in parallel, one request each
    const kind = (path: string) => path.split('/').at(-2);
    expect(
      proxy.log
        .slice(2)
        .map((l) => [l.method, kind(l.path), l.authorization !== undefined])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      ['HEAD', 'blobs', true],
      ['HEAD', 'blobs', true],
      ['HEAD', 'manifests', true],
    ]);
    await client.close();
    await proxy.stop();
  });

  it('anonymous access to an auth registry is a clear UNAUTHORIZED', async () => {
    const client = new RegistryClient({ insecureRegistries: [basic.host] });
    const error = await client.pullImage(`${basic.host}/auth/none:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toContain(basic.host);
    await client.close();
  });

  it('reads credentials from a docker config.json passed through env', async () => {
    const dir = join(scratch, 'docker');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const auth = Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [`http://${basic.host}`]: { auth } } }),
    );
    const client = new RegistryClient({
      insecureRegistries: [basic.host],
      keychain: new DockerConfigKeychain({ env: { DOCKER_CONFIG: dir }, home: '/nonexistent' }),
    });
    const image = assembleImage([randomLayer(1000)]);
    expect(await client.pushImage(`${basic.host}/auth/config:1`, image)).toBe(await image.digest());
    await client.checkPushPermission(`${basic.host}/auth/config:1`);
    await client.close();
  });
});

describe('bearer tokens (token server in front of a real registry)', () => {
  it('gets scoped tokens with basic credentials, caches them per scope, and mounts across repositories', async () => {
    const proxy = await new FaultProxy(plain.url, { username: 'robot', password: 'bearer-secret' }).start();
    const events: RegistryLogEvent[] = [];
    const client = new RegistryClient({
      insecureRegistries: [proxy.host],
      keychain: new StaticKeychain([[proxy.host, Credentials.basic('robot', 'bearer-secret')]]),
      logger: (e) => events.push(e),
    });
    const image = assembleImage([randomLayer(50_000), randomLayer(50_000)]);
    const digest = await client.pushImage(`${proxy.host}/bearer/app:1`, image);
    const pulled = await client.pullImage(`${proxy.host}/bearer/app:1`);
    expect(await pulled.digest()).toBe(digest);
    await client.pushImage(`${proxy.host}/bearer/copy:1`, image);
    expect(events.filter((e) => e.message.startsWith('mounted blob'))).toHaveLength(3);
    expect(proxy.tokenRequests.every((t) => t.authorized)).toBe(true);
    // one token per scope set: push app, pull app, push copy + mount from app
    expect(proxy.tokenRequests.map((t) => t.scopes.sort().join(' ')).sort()).toEqual([
      'repository:bearer/app:pull',
      'repository:bearer/app:pull repository:bearer/copy:pull,push',
      'repository:bearer/app:pull,push',
      'repository:bearer/copy:pull,push',
    ]);
    expect(proxy.log.every((l) => !l.authorization?.startsWith('Basic'))).toBe(true);
    await client.close();
    await proxy.stop();
  });

  it('checkPushPermission fails before any upload when the token has no push scope', async () => {
    const proxy = await new FaultProxy(plain.url, {
      username: 'reader',
      password: 'read-secret',
      readOnly: ['bearer/locked'],
    }).start();
    const client = new RegistryClient({
      insecureRegistries: [proxy.host],
      keychain: new StaticKeychain([[proxy.host, Credentials.basic('reader', 'read-secret')]]),
    });
    await client.checkPushPermission(`${proxy.host}/bearer/open:1`);
    const error = await client.checkPushPermission(`${proxy.host}/bearer/locked:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toBe(
      `checking push permission for ${proxy.host}/bearer/locked: 401 unauthorized: token required`,
    );
    expect(proxy.count('POST', /\/bearer\/locked\//)).toBe(2);
    expect(proxy.count('PUT', /./) + proxy.count('PATCH', /./)).toBe(0);
    await client.close();
    await proxy.stop();
  });

  it('anonymous tokens work without credentials', async () => {
    const proxy = await new FaultProxy(plain.url, {}).start();
    const client = new RegistryClient({ insecureRegistries: [proxy.host] });
    const image = assembleImage([randomLayer(1000)]);
    expect(await client.pushImage(`${proxy.host}/bearer/anon:1`, image)).toBe(await image.digest());
    expect(proxy.tokenRequests.length).toBeGreaterThan(0);
    await client.close();
    await proxy.stop();
  });

  it('a token server refusing the password is a 401 naming the token server, asked once', async () => {
    const proxy = await new FaultProxy(plain.url, { username: 'robot', password: 'right' }).start();
    const client = new RegistryClient({
      insecureRegistries: [proxy.host],
      keychain: new StaticKeychain([[proxy.host, Credentials.basic('robot', 'wrong-bearer-password')]]),
    });
    const error = await client.pullImage(`${proxy.host}/bearer/x:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toBe(
      `getting manifest ${proxy.host}/bearer/x:1: fetching token from ${proxy.host}: 401 unauthorized: bad credentials`,
    );
    expectNoSecret(error, 'wrong-bearer-password');
    expect(proxy.tokenRequests).toHaveLength(1);
    expect(proxy.log).toHaveLength(1);
    await client.close();
    await proxy.stop();
  });
});

describe('TLS', () => {
  it('refuses an unknown CA without retrying, and accepts it with the CA file or skip-verify', async () => {
    const events: RegistryLogEvent[] = [];
    const strict = new RegistryClient({ logger: (e) => events.push(e) });
    const error = await strict.head(`${tls.host}/tls/x:1`).catch((e: unknown) => e);
    expect((error as RegistryError).code).toBe('NETWORK');
    expect((error as RegistryError).message).toMatch(/certificate/);
    expect(events).toHaveLength(0);
    const insecureHttp = new RegistryClient({ insecureRegistries: [tls.host], retry: { maxAttempts: 1 } });
    await expect(insecureHttp.head(`${tls.host}/tls/x:1`)).rejects.toBeInstanceOf(RegistryError);
    const withCa = clientFor(tls);
    expect(await withCa.head(`${tls.host}/tls/x:1`)).toBeUndefined();
    const skip = new RegistryClient({ skipTlsVerifyRegistries: [tls.host] });
    expect(await skip.head(`${tls.host}/tls/x:1`)).toBeUndefined();
    await Promise.all([strict.close(), insecureHttp.close(), withCa.close(), skip.close()]);
  });
});

describe('mutual TLS', () => {
  it('presents a client certificate when configured, and fails clearly without one', async () => {
    const registry = await startMtlsRegistry();
    try {
      const without = new RegistryClient({
        caFiles: { [registry.host]: [registry.caFile] },
        retry: { maxAttempts: 2 },
      });
      const error = await without.head(`${registry.host}/mtls/x:1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      // TLS 1.3: the server drops the connection after the handshake, seen as a socket error
      expect((error as RegistryError).code).toBe('NETWORK');
      const client = new RegistryClient({
        caFiles: { [registry.host]: [registry.caFile] },
        clientCertificates: {
          [registry.host]: { certFile: registry.clientCertFile, keyFile: registry.clientKeyFile },
        },
      });
      const image = assembleImage([randomLayer(1000)]);
      expect(await client.pushImage(`${registry.host}/mtls/app:1`, image)).toBe(await image.digest());
      expect((await client.head(`${registry.host}/mtls/app:1`))?.digest).toBe(await image.digest());
      await Promise.all([without.close(), client.close()]);
    } finally {
      await registry.stop();
    }
  });
});

describe('bearer tokens verified by distribution itself (auth.token)', () => {
  it('pushes, pulls and mounts with scoped JWTs; a read-only token cannot push', async () => {
    const registry = await startTokenRegistry({
      username: 'ci',
      password: 'jwt-secret',
      readOnly: ['jwt/locked'],
    });
    try {
      const events: RegistryLogEvent[] = [];
      const client = new RegistryClient({
        insecureRegistries: [registry.host],
        keychain: new StaticKeychain([[registry.host, Credentials.basic('ci', 'jwt-secret')]]),
        logger: (e) => events.push(e),
      });
      const image = assembleImage([randomLayer(20_000)]);
      const digest = await client.pushImage(`${registry.host}/jwt/app:1`, image);
      expect(await (await client.pullImage(`${registry.host}/jwt/app:1`)).digest()).toBe(digest);
      await client.pushImage(`${registry.host}/jwt/copy:1`, image);
      expect(events.filter((e) => e.message.startsWith('mounted blob'))).toHaveLength(2);
      expect(registry.tokenRequests.length).toBeGreaterThan(0);
      expect(registry.tokenRequests.every((t) => t.authorized)).toBe(true);
      const denied = await client
        .checkPushPermission(`${registry.host}/jwt/locked:1`)
        .catch((e: unknown) => e);
      expect((denied as RegistryError).code).toBe('UNAUTHORIZED');
      expect((denied as RegistryError).message).toMatch(
        new RegExp(`^checking push permission for ${registry.host}/jwt/locked: 401 unauthorized: `),
      );
      const wrong = new RegistryClient({
        insecureRegistries: [registry.host],
        keychain: new StaticKeychain([[registry.host, Credentials.basic('ci', 'not-it')]]),
      });
      const refused = await wrong.head(`${registry.host}/jwt/app:1`).catch((e: unknown) => e);
      expect((refused as RegistryError).code).toBe('UNAUTHORIZED');
      expectNoSecret(refused, 'not-it');
      await Promise.all([client.close(), wrong.close()]);
    } finally {
      await registry.stop();
    }
  });
});

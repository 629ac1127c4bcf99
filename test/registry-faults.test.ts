import { sha256 } from '@kaniko-ts/oci';
import {
  Credentials,
  RegistryClient,
  RegistryError,
  type RegistryLogEvent,
  StaticKeychain,
} from '@kaniko-ts/registry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from './harness/index.js';
import { clientFor } from './registry/clients.js';
import { FaultProxy } from './registry/fault-proxy.js';
import { assembleImage, randomLayer } from './registry/images.js';

let registry: RunningRegistry;
let proxy: FaultProxy;
const events: RegistryLogEvent[] = [];

beforeAll(async () => {
  registry = await startRegistry({ variant: 'plain' });
  proxy = await new FaultProxy(registry.url).start();
});

afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

afterEach(() => {
  proxy.rules.length = 0;
  proxy.log.length = 0;
  events.length = 0;
});

const client = (maxAttempts = 4) =>
  clientFor(
    { ...registry, host: proxy.host },
    { logger: (e) => events.push(e), retry: { maxAttempts, initialDelayMs: 10, maxDelayMs: 50 } },
  );

/** Pushes a fresh image straight to the registry (no faults); returns its ref through the proxy. */
async function seed(name: string, sizes = [150_000]) {
  const layers = sizes.map((s) => randomLayer(s));
  const image = assembleImage(layers);
  const direct = clientFor(registry);
  await direct.pushImage(`${registry.host}/faults/${name}:1`, image);
  await direct.close();
  return { ref: `${proxy.host}/faults/${name}:1`, image, layers };
}

async function readLayers(c: ReturnType<typeof client>, ref: string): Promise<Buffer[]> {
  const image = await c.pullImage(ref);
  const out: Buffer[] = [];
  for (const layer of await image.layers())
    out.push(Buffer.concat(await (await layer.compressed()).toArray()));
  return out;
}

describe('pull through a faulty proxy', () => {
  it('retries 500s on the manifest and succeeds within the budget', async () => {
    const { ref, image } = await seed('five-hundred');
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\//,
      times: 2,
      fault: { kind: 'status', status: 500 },
    });
    const c = client();
    expect(await (await c.pullImage(ref)).digest()).toBe(await image.digest());
    expect(proxy.count('GET', /\/manifests\//)).toBe(3);
    expect(events.filter((e) => e.level === 'warn')).toHaveLength(2);
    await c.close();
  });

  it('waits for Retry-After on 429', async () => {
    const { ref } = await seed('too-many');
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\//,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    });
    const c = client();
    const started = performance.now();
    await c.pullImage(ref);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    await c.close();
  });

  it('survives a dropped connection on a blob and a truncated blob body (resumes with Range)', async () => {
    const { ref, layers } = await seed('dropped', [300_000, 200_000]);
    proxy.rules.push({ method: 'GET', path: /\/blobs\/sha256:/, times: 1, fault: { kind: 'reset' } });
    proxy.rules.push({
      method: 'GET',
      path: new RegExp(layers[1]!.layer.descriptor().digest),
      fault: { kind: 'truncate' },
    });
    const c = client();
    const blobs = await readLayers(c, ref);
    expect(blobs.map((b) => sha256(b))).toEqual(layers.map((l) => l.layer.descriptor().digest));
    expect(proxy.log.filter((l) => l.status === 'fault')).toHaveLength(2);
    const resumed = proxy.log.filter((l) => l.range !== undefined);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.path).toContain(layers[1]!.layer.descriptor().digest);
    expect(resumed[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    await c.close();
  });

  it('times out a stalled response and retries it', async () => {
    const { ref, image } = await seed('stalled');
    proxy.rules.push({ method: 'GET', path: /\/manifests\//, fault: { kind: 'stall', ms: 5000 } });
    const c = clientFor(
      { ...registry, host: proxy.host },
      { logger: (e) => events.push(e), headersTimeoutMs: 800, retry: { initialDelayMs: 10 } },
    );
    expect(await (await c.pullImage(ref)).digest()).toBe(await image.digest());
    expect(events.some((e) => e.level === 'warn' && /timeout/i.test(e.message))).toBe(true);
    await c.close();
  });

  it('retries a truncated manifest body', async () => {
    const { ref, image } = await seed('short-manifest');
    proxy.rules.push({ method: 'GET', path: /\/manifests\//, fault: { kind: 'truncate' } });
    const c = client();
    expect(await (await c.pullImage(ref)).digest()).toBe(await image.digest());
    await c.close();
  });

  it('never accepts a corrupted blob', async () => {
    const { ref, layers } = await seed('corrupt');
    const digest = layers[0]!.layer.descriptor().digest;
    proxy.rules.push({
      method: 'GET',
      path: new RegExp(digest),
      times: 100,
      fault: { kind: 'corrupt-response' },
    });
    const c = client();
    const image = await c.pullImage(ref);
    const [layer] = await image.layers();
    const error = await (async () => {
      for await (const _ of await layer!.compressed());
    })().catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('DIGEST_MISMATCH');
    expect(String(error)).toContain(digest);
    await c.close();
  });

  it('rejects a manifest whose bytes do not match the digest it was asked for', async () => {
    const { image } = await seed('corrupt-manifest');
    proxy.rules.push({ method: 'GET', path: /\/manifests\/sha256:/, fault: { kind: 'corrupt-response' } });
    const c = client();
    const error = await c
      .pullImage(`${proxy.host}/faults/corrupt-manifest@${await image.digest()}`)
      .catch((e) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('DIGEST_INVALID');
    await c.close();
  });

  it('gives up after the retry budget with a typed error naming the registry', async () => {
    const { ref } = await seed('down');
    proxy.rules.push({
      method: 'GET',
      path: /\/manifests\//,
      times: 100,
      fault: {
        kind: 'status',
        status: 503,
        body: '{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}',
      },
    });
    const c = client(3);
    const error = await c.pullImage(ref).catch((e) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.registry).toBe(proxy.host);
    expect(error.message).toBe(`getting manifest ${ref}: 503 unavailable: maintenance`);
    expect(proxy.count('GET', /\/manifests\//)).toBe(3);
    await c.close();
  });
});

describe('push through a faulty proxy', () => {
  it('restarts an upload whose PUT failed and retries a reset manifest PUT', async () => {
    const layer = randomLayer(120_000);
    const image = assembleImage([layer]);
    proxy.rules.push({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'status', status: 502 } });
    proxy.rules.push({ method: 'PUT', path: /\/manifests\//, fault: { kind: 'reset' } });
    proxy.rules.push({ method: 'POST', path: /\/blobs\/uploads\//, fault: { kind: 'status', status: 500 } });
    const c = client();
    const digest = await c.pushImage(`${proxy.host}/faults/push:1`, image);
    expect(digest).toBe(await image.digest());
    expect(proxy.count('PUT', /\/manifests\//)).toBe(2);
    const back = await clientFor(registry).pullImage(`${registry.host}/faults/push:1`);
    expect(await back.digest()).toBe(digest);
    await c.close();
  });

  it('a blob corrupted in flight is refused by the registry, not stored', async () => {
    const layer = randomLayer(80_000);
    const image = assembleImage([layer]);
    proxy.rules.push({
      method: 'PUT',
      path: new RegExp(`digest=${encodeURIComponent(layer.layer.descriptor().digest)}`),
      times: 100,
      fault: { kind: 'corrupt-request' },
    });
    const c = client();
    const error = await c.pushImage(`${proxy.host}/faults/corrupt-push:1`, image).catch((e) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('DIGEST_INVALID');
    expect(error.message).toContain(
      `pushing blob ${layer.layer.descriptor().digest} to ${proxy.host}/faults/corrupt-push`,
    );
    const head = await fetch(
      `${registry.url}/v2/faults/corrupt-push/blobs/${layer.layer.descriptor().digest}`,
      {
        method: 'HEAD',
      },
    );
    expect(head.status).toBe(404);
    await c.close();
  });
});

describe('redirects', () => {
  it('follows a blob redirect to another host without sending credentials there', async () => {
    const bearer = await new FaultProxy(registry.url, { username: 'u', password: 'redirect-secret' }).start();
    const storage = await new FaultProxy(registry.url).start();
    const { layers } = await seed('redirected');
    const digest = layers[0]!.layer.descriptor().digest;
    bearer.rules.push({
      method: 'GET',
      path: new RegExp(`/blobs/${digest}`),
      fault: {
        kind: 'status',
        status: 307,
        headers: { location: `http://${storage.host}/v2/faults/redirected/blobs/${digest}` },
      },
    });
    const c = new RegistryClient({
      insecureRegistries: [bearer.host, storage.host],
      keychain: new StaticKeychain([[bearer.host, Credentials.basic('u', 'redirect-secret')]]),
    });
    const image = await c.pullImage(`${bearer.host}/faults/redirected:1`);
    const [layer] = await image.layers();
    expect(sha256(Buffer.concat(await (await layer!.compressed()).toArray()))).toBe(digest);
    expect(storage.log.map((l) => [l.method, l.path, l.authorization])).toEqual([
      ['GET', `/v2/faults/redirected/blobs/${digest}`, undefined],
    ]);
    expect(bearer.log.some((l) => l.authorization?.startsWith('Bearer '))).toBe(true);
    await c.close();
    await Promise.all([bearer.stop(), storage.stop()]);
  });
});

describe('chunked uploads', () => {
  it('resume a failed PATCH from the offset the registry reports instead of restarting', async () => {
    const layer = randomLayer(300_000);
    const image = assembleImage([layer]);
    const digest = layer.layer.descriptor().digest;
    // the third PATCH of the session is dropped before the registry sees it
    let patches = 0;
    proxy.rules.push({
      method: 'PATCH',
      path: { test: () => ++patches === 3 },
      fault: { kind: 'reset' },
    });
    const c = clientFor(
      { ...registry, host: proxy.host },
      { chunkSize: 64 * 1024, logger: (e) => events.push(e), retry: { initialDelayMs: 10 } },
    );
    await c.pushImage(`${proxy.host}/faults/chunk-resume:1`, image);
    expect(events.some((e) => /resuming upload at byte 131072/.test(e.message))).toBe(true);
    // one session for the layer (plus one for the config): nothing restarted
    expect(proxy.count('POST', /\/blobs\/uploads\//)).toBe(2);
    expect(proxy.log.filter((l) => l.method === 'GET' && l.path.includes('/blobs/uploads/'))).toHaveLength(1);
    const back = await clientFor(registry).pullImage(`${registry.host}/faults/chunk-resume:1`);
    const [pulled] = await back.layers();
    expect(sha256(Buffer.concat(await (await pulled!.compressed()).toArray()))).toBe(digest);
    await c.close();
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type Image, imageFromParts, type Layer, layerFromBlob, MediaType, sha256 } from '@kaniko-ts/oci';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listenLocal } from '../test/local-server.js';
import { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';

/** One request the fake registry saw, with when it arrived and when it was answered. */
interface Seen {
  method: string;
  path: string;
  start: number;
  end: number;
}

/**
 * A minimal in-process registry (plain HTTP) that records every request and how many of each kind
 * were in flight at once. HEAD answers can be held until `holdHeads` HEADs are in flight, so a
 * client that sends its checks one wave at a time is caught (the hold gives up after 2 s).
 */
class FakeRegistry {
  readonly stored = new Set<string>();
  readonly seen: Seen[] = [];
  readonly failPut = new Set<string>();
  /** Manifests put, by path: what a HEAD of that path answers. */
  readonly manifests = new Map<string, { digest: string; size: number; type: string }>();
  /** Open upload sessions (ids); clear it to play a registry that expired them. */
  readonly sessions = new Set<string>();
  holdHeads = 0;
  putDelayMs = 0;
  maxHeads = 0;
  maxUploads = 0;
  #heads = 0;
  #uploads = 0;
  #waiting: (() => void)[] = [];
  #server: Server = createServer((req, res) => void this.#handle(req, res));
  #clock = 0;

  /** TCP connections the registry accepted. */
  connections = 0;

  start(): Promise<string> {
    this.#server.on('connection', () => this.connections++);
    return listenLocal(this.#server);
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const entry: Seen = { method: req.method ?? '', path: url.pathname, start: this.#clock++, end: -1 };
    this.seen.push(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const reply = (status: number, headers: Record<string, string> = {}, text = '') => {
      entry.end = this.#clock++;
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
    };
    const blob = /^\/v2\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)?.[1];
    if (req.method === 'HEAD' && blob !== undefined) {
      this.#heads++;
      this.maxHeads = Math.max(this.maxHeads, this.#heads);
      if (this.#heads >= this.holdHeads) for (const wake of this.#waiting.splice(0)) wake();
      else await new Promise<void>((resolve) => this.#waiting.push(resolve) && setTimeout(resolve, 2000));
      this.#heads--;
      return reply(this.stored.has(blob) ? 200 : 404);
    }
    if (req.method === 'POST' && url.pathname === '/v2/app/blobs/uploads/') {
      const id = `s${this.seen.length}`;
      this.sessions.add(id);
      return reply(202, { location: `/v2/app/blobs/uploads/${id}` });
    }
    const session = /^\/v2\/app\/blobs\/uploads\/(s\d+)$/.exec(url.pathname)?.[1] ?? '';
    const inSession = url.pathname.startsWith('/v2/app/blobs/uploads/');
    if (inSession && !this.sessions.has(session)) {
      const errors = [{ code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown to registry' }];
      return reply(404, { 'content-type': 'application/json' }, JSON.stringify({ errors }));
    }
    if (inSession && req.method === 'DELETE') {
      this.sessions.delete(session);
      return reply(204);
    }
    if (req.method === 'PUT' && url.pathname.startsWith('/v2/app/blobs/uploads/')) {
      this.#uploads++;
      this.maxUploads = Math.max(this.maxUploads, this.#uploads);
      await new Promise((resolve) => setTimeout(resolve, this.putDelayMs));
      this.#uploads--;
      const digest = url.searchParams.get('digest') ?? '';
      if (this.failPut.has(digest)) {
        const errors = [{ code: 'BLOB_UPLOAD_INVALID', message: 'storage quota exceeded' }];
        return reply(400, { 'content-type': 'application/json' }, JSON.stringify({ errors }));
      }
      if (`sha256:${createHash('sha256').update(body).digest('hex')}` !== digest) return reply(400);
      this.stored.add(digest);
      this.sessions.delete(session);
      return reply(201, { location: `/v2/app/blobs/${digest}` });
    }
    if (req.method === 'PUT' && url.pathname.startsWith('/v2/app/manifests/')) {
      this.manifests.set(url.pathname, {
        digest: sha256(body),
        size: body.length,
        type: req.headers['content-type'] ?? '',
      });
      return reply(201, { 'docker-content-digest': sha256(body) });
    }
    const manifest = this.manifests.get(url.pathname);
    if (req.method === 'HEAD' && manifest !== undefined) {
      return reply(
        200,
        { 'docker-content-digest': manifest.digest, 'content-type': manifest.type },
        ' '.repeat(manifest.size),
      );
    }
    reply(404);
  }
}

function layer(): { layer: Layer; bytes: Buffer } {
  const bytes = randomBytes(2048);
  const descriptor = { mediaType: MediaType.ociLayerGzip, digest: sha256(bytes), size: bytes.length };
  return { layer: layerFromBlob({ descriptor, open: async () => Readable.from([bytes]) }), bytes };
}

function image(layers: Layer[]): Image {
  const rawConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: Math.random() }));
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(rawConfig), size: rawConfig.length },
      layers: layers.map((l) => l.descriptor()),
    },
    rawConfig,
    layers,
  });
}

let registry: FakeRegistry;
let client: RegistryClient;

async function setUp(): Promise<string> {
  registry = new FakeRegistry();
  const host = await registry.start();
  client = new RegistryClient({
    insecureRegistries: [host],
    uploadConcurrency: 2,
    retry: { maxAttempts: 1 },
  });
  return host;
}

afterEach(async () => {
  await client?.close();
  await registry?.stop();
});

describe('pushImage round trips', () => {
  it('checks every blob of a present image at once, then puts only the manifest', async () => {
    const host = await setUp();
    const layers = Array.from({ length: 5 }, layer);
    const img = image(layers.map((l) => l.layer));
    registry.stored.add((await img.configDescriptor()).digest);
    for (const l of layers) registry.stored.add(l.layer.descriptor().digest);
    registry.holdHeads = 6; // five layers and the config, with only 2 upload slots
    await client.pushImage(`${host}/app:v1`, img);
    expect(registry.maxHeads).toBe(6);
    // six blob HEADs and one of the tag's manifest (not there yet), then the manifest PUT
    expect(registry.seen.map((s) => s.method).sort()).toEqual([
      'HEAD',
      'HEAD',
      'HEAD',
      'HEAD',
      'HEAD',
      'HEAD',
      'HEAD',
      'PUT',
    ]);
    const manifest = registry.seen.find((s) => s.method === 'PUT' && s.path === '/v2/app/manifests/v1');
    expect(manifest?.start).toBeGreaterThan(
      Math.max(...registry.seen.filter((s) => s.method === 'HEAD').map((s) => s.end)),
    );
  });

  it('puts no manifest when the tag names this image already (one round trip)', async () => {
    const host = await setUp();
    const img = image([layer().layer]);
    const digest = await client.pushImage(`${host}/app:v1`, img);
    registry.seen.length = 0;
    expect(await client.pushImage(`${host}/app:v1`, img)).toBe(digest);
    // (this client pushed the blobs: it does not check them again)
    expect(registry.seen.map((s) => `${s.method} ${s.path.split('/')[3]}`)).toEqual(['HEAD manifests']);
    // asked ahead (as a build does beside its last uploads): the push uses that answer
    registry.seen.length = 0;
    const fresh = new RegistryClient({ insecureRegistries: [host] });
    fresh.checkManifestAhead(`${host}/app:v1`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['HEAD /v2/app/manifests/v1']);
    expect(await fresh.pushImage(`${host}/app:v1`, img)).toBe(digest);
    await fresh.close();
    expect(registry.seen.filter((s) => s.path.includes('/manifests/'))).toHaveLength(1);
    // another image under the same tag is put
    registry.seen.length = 0;
    const other = image([layer().layer]);
    expect(await client.pushImage(`${host}/app:v1`, other)).toBe(await other.digest());
    expect(registry.seen.filter((s) => s.method === 'PUT' && s.path === '/v2/app/manifests/v1')).toHaveLength(
      1,
    );
  });

  it('uploads missing blobs within the upload slots and puts the manifest after the last blob', async () => {
    const host = await setUp();
    const layers = Array.from({ length: 5 }, layer);
    const img = image(layers.map((l) => l.layer));
    registry.putDelayMs = 30;
    await client.pushImage(`${host}/app:v1`, img);
    expect(registry.maxUploads).toBe(2);
    expect(registry.stored).toEqual(
      new Set([(await img.configDescriptor()).digest, ...layers.map((l) => l.layer.descriptor().digest)]),
    );
    const blobPuts = registry.seen.filter((s) => s.method === 'PUT' && s.path.includes('/blobs/uploads/'));
    const manifest = registry.seen.find((s) => s.method === 'PUT' && s.path === '/v2/app/manifests/v1');
    expect(blobPuts).toHaveLength(6);
    expect(manifest?.start).toBeGreaterThan(Math.max(...blobPuts.map((s) => s.end)));
  });

  it('fails with the registry message, starts no further upload and puts no manifest', async () => {
    const host = await setUp();
    const layers = Array.from({ length: 5 }, layer);
    const img = image(layers.map((l) => l.layer));
    registry.failPut.add((await img.configDescriptor()).digest);
    for (const l of layers) registry.failPut.add(l.layer.descriptor().digest);
    registry.putDelayMs = 30;
    const error = await client.pushImage(`${host}/app:v1`, img).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as Error).message).toContain('storage quota exceeded');
    expect(registry.seen.some((s) => s.method === 'PUT' && s.path.includes('/manifests/'))).toBe(false);
    // every upload fails: the two that held the upload slots were sent, no other upload started
    const puts = registry.seen.filter((s) => s.method === 'PUT').length;
    expect(puts).toBeGreaterThanOrEqual(1);
    expect(puts).toBeLessThanOrEqual(2);
    expect(registry.seen.filter((s) => s.method === 'POST')).toHaveLength(puts);
  });
});

describe('connections', () => {
  it('keeps the connection open after a HEAD (undici closes it unless told not to)', async () => {
    const host = await setUp();
    const blobs = Array.from({ length: 5 }, layer);
    for (const b of blobs) registry.stored.add(b.layer.descriptor().digest);
    for (const b of blobs) {
      const outcome = await client.pushBlob(`${host}/app:v1`, {
        descriptor: b.layer.descriptor(),
        open: async () => b.bytes,
      });
      expect(outcome).toBe('existed');
    }
    expect(registry.seen.map((s) => s.method)).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD', 'HEAD']);
    // five without reset: false; a second one when a HEAD is sent before undici has put the
    // first connection back in its pool
    expect(registry.connections).toBeLessThanOrEqual(2);
  });
});

describe('upload sessions kept from checkPushPermission', () => {
  const oneMissing = async () => {
    const present = layer();
    const img = image([present.layer]);
    registry.stored.add(present.layer.descriptor().digest);
    return { img, config: (await img.configDescriptor()).digest };
  };
  const count = (method: string) => registry.seen.filter((s) => s.method === method).length;

  it("uploads the first missing blob into the permission check's session instead of opening one", async () => {
    const host = await setUp();
    await client.checkPushPermission(`${host}/app:v1`);
    const [checked] = registry.sessions;
    const { img, config } = await oneMissing();
    await client.pushImage(`${host}/app:v1`, img);
    await client.close();
    expect(registry.stored.has(config)).toBe(true);
    expect(count('POST')).toBe(1);
    expect(count('DELETE')).toBe(0);
    const put = registry.seen.find((s) => s.method === 'PUT' && s.path.includes('/blobs/uploads/'));
    expect(put?.path).toBe(`/v2/app/blobs/uploads/${checked}`);
  });

  it('opens a fresh session when the kept one has expired', async () => {
    const host = await setUp();
    await client.checkPushPermission(`${host}/app:v1`);
    registry.sessions.clear();
    const { img, config } = await oneMissing();
    await client.pushImage(`${host}/app:v1`, img);
    expect(registry.stored.has(config)).toBe(true);
    expect(count('POST')).toBe(2);
    expect(registry.seen.filter((s) => s.method === 'PUT').map((s) => s.path.split('/')[3])).toEqual([
      'blobs',
      'blobs',
      'manifests',
    ]);
  });

  it('cancels a session nobody used when the client closes', async () => {
    const host = await setUp();
    await client.checkPushPermission(`${host}/app:v1`);
    expect(registry.sessions.size).toBe(1);
    await client.close();
    expect(count('DELETE')).toBe(1);
    expect(registry.sessions.size).toBe(0);
  });
});

describe('pushBlob with skipExistenceCheck', () => {
  const config = () => {
    const bytes = Buffer.from(JSON.stringify({ os: 'linux', nonce: Math.random() }));
    return {
      descriptor: { mediaType: MediaType.ociConfig, digest: sha256(bytes), size: bytes.length },
      bytes,
    };
  };
  const methods = () => registry.seen.map((s) => s.method);

  it("puts the blob into the permission check's session at once, without a HEAD", async () => {
    const host = await setUp();
    await client.checkPushPermission(`${host}/app:v1`);
    const blob = config();
    const outcome = await client.pushBlob(
      `${host}/app:v1`,
      { descriptor: blob.descriptor, open: async () => blob.bytes },
      { skipExistenceCheck: true },
    );
    expect(outcome).toBe('uploaded');
    expect(methods()).toEqual(['POST', 'PUT']);
    expect(registry.stored.has(blob.descriptor.digest)).toBe(true);
  });

  it('checks first as usual when no session is kept (a POST and PUT would cost more than a HEAD)', async () => {
    const host = await setUp();
    const blob = config();
    registry.stored.add(blob.descriptor.digest);
    const outcome = await client.pushBlob(
      `${host}/app:v1`,
      { descriptor: blob.descriptor, open: async () => blob.bytes },
      { skipExistenceCheck: true },
    );
    expect(outcome).toBe('existed');
    expect(methods()).toEqual(['HEAD']);
  });
});

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaType, sha256 } from '@kaniko-ts/oci';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeServer, listenLocal } from '../test/local-server.js';
import { directoryContentCache } from './content-cache.js';
import { RegistryClient } from './registry-client.js';

/** A registry serving `/v2/app/manifests/<tag|digest>` and `/v2/app/blobs/<digest>`, counting GETs by path. */
class PullRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly gets: string[] = [];
  #server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    this.gets.push(`${req.method} ${path}`);
    const manifest = /^\/v2\/app\/manifests\/(.+)$/.exec(path)?.[1];
    const found = manifest === undefined ? undefined : this.manifests.get(manifest);
    if (found) {
      res.writeHead(200, {
        'content-type': found.mediaType,
        'docker-content-digest': sha256(found.bytes),
        'content-length': String(found.bytes.length),
      });
      return res.end(found.bytes);
    }
    const blob = this.blobs.get(/^\/v2\/app\/blobs\/(.+)$/.exec(path)?.[1] ?? '');
    if (blob) {
      res.writeHead(200, { 'content-length': String(blob.length) });
      return res.end(blob);
    }
    res.writeHead(404, { 'content-length': '0' }).end();
  });

  start(): Promise<string> {
    return listenLocal(this.#server);
  }

  stop(): Promise<void> {
    return closeServer(this.#server);
  }

  /** An image (config + manifest) under `tag`; returns the config's and the manifest's digests. */
  addImage(tag: string, nonce: string): { config: string; manifest: string } {
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: [nonce] } }),
    );
    this.blobs.set(sha256(config), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: [],
      }),
    );
    this.manifests.set(tag, { bytes: manifest, mediaType: MediaType.ociManifest });
    this.manifests.set(sha256(manifest), { bytes: manifest, mediaType: MediaType.ociManifest });
    return { config: sha256(config), manifest: sha256(manifest) };
  }

  /** An index under `tag` whose one linux/amd64 child is the manifest `child`. */
  addIndex(tag: string, child: string): void {
    const size = this.manifests.get(child)?.bytes.length ?? 0;
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          {
            mediaType: MediaType.ociManifest,
            digest: child,
            size,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    this.manifests.set(tag, { bytes: index, mediaType: MediaType.ociIndex });
  }
}

let registry: PullRegistry;
let host: string;
let dir: string;

beforeEach(async () => {
  registry = new PullRegistry();
  host = await registry.start();
  dir = await mkdtemp(join(tmpdir(), 'content-cache-'));
});

afterEach(async () => {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One client's pull of `ref` and its config (what a build does with a base image), then close. */
async function pullConfig(ref: string, cached = true): Promise<string> {
  const client = new RegistryClient({
    insecureRegistries: [host],
    retry: { maxAttempts: 1 },
    ...(cached ? { contentCache: directoryContentCache(dir) } : {}),
  });
  try {
    const image = await client.pullImage(`${host}/${ref}`);
    return JSON.stringify(await image.config());
  } finally {
    await client.close();
  }
}

const configGets = () => registry.gets.filter((g) => g.startsWith('GET /v2/app/blobs/')).length;

describe('content cache of a RegistryClient', () => {
  it('reads a base config kept by an earlier pull instead of fetching it; the tag is still resolved', async () => {
    const { config } = registry.addImage('v1', 'first');
    const first = await pullConfig('app:v1');
    expect(registry.gets).toEqual(['GET /v2/app/manifests/v1', `GET /v2/app/blobs/${config}`]);
    expect(sha256(await readFile(join(dir, 'sha256', config.slice('sha256:'.length))))).toBe(config);
    registry.gets.length = 0;
    expect(await pullConfig('app:v1')).toBe(first);
    expect(registry.gets).toEqual(['GET /v2/app/manifests/v1']);
  });

  it('notices a moved tag: the new manifest names another config, which is fetched', async () => {
    registry.addImage('v1', 'first');
    await pullConfig('app:v1');
    const moved = registry.addImage('v1', 'second');
    registry.gets.length = 0;
    expect(await pullConfig('app:v1')).toContain('second');
    expect(registry.gets).toEqual(['GET /v2/app/manifests/v1', `GET /v2/app/blobs/${moved.config}`]);
  });

  it('ignores a cached config whose bytes do not match its digest, fetches it and repairs the file', async () => {
    const { config } = registry.addImage('v1', 'first');
    const good = await pullConfig('app:v1');
    const file = join(dir, 'sha256', config.slice('sha256:'.length));
    const tampered = good.replace('first', 'evil!');
    await writeFile(file, tampered);
    registry.gets.length = 0;
    expect(await pullConfig('app:v1')).toBe(good);
    expect(configGets()).toBe(1);
    expect(sha256(await readFile(file))).toBe(config);
  });

  it('answers manifests by digest (an index child, a FROM by digest) from the cache, never a tag', async () => {
    const { config, manifest } = registry.addImage('child', 'multi');
    registry.addIndex('v1', manifest);
    const first = await pullConfig('app:v1');
    expect(registry.gets).toEqual([
      'GET /v2/app/manifests/v1',
      `GET /v2/app/manifests/${manifest}`,
      `GET /v2/app/blobs/${config}`,
    ]);
    registry.gets.length = 0;
    expect(await pullConfig('app:v1')).toBe(first);
    expect(await pullConfig(`app@${manifest}`)).toBe(first);
    expect(registry.gets).toEqual(['GET /v2/app/manifests/v1']);
  });

  it('fetches everything from the registry when the client has no content cache', async () => {
    registry.addImage('v1', 'first');
    await pullConfig('app:v1', false);
    await pullConfig('app:v1', false);
    expect(configGets()).toBe(2);
  });
});

describe('directoryContentCache blob locations', () => {
  const digest = sha256(Buffer.from('a layer'));

  it('lists the repositories a blob was pushed to, newest first, each once, the newest eight', async () => {
    const cache = directoryContentCache(dir);
    expect(await cache.blobLocations?.(digest)).toEqual([]);
    await cache.addBlobLocation?.(digest, 'reg.test/a');
    await cache.addBlobLocation?.(digest, 'reg.test/b');
    await cache.addBlobLocation?.(digest, 'reg.test/a');
    expect(await cache.blobLocations?.(digest)).toEqual(['reg.test/a', 'reg.test/b']);
    for (let i = 0; i < 10; i++) await cache.addBlobLocation?.(digest, `reg.test/r${i}`);
    const all = await cache.blobLocations?.(digest);
    expect(all).toHaveLength(8);
    expect(all?.[0]).toBe('reg.test/r9');
    // another cache object on the same directory (the next run) reads the same list
    expect(await directoryContentCache(dir).blobLocations?.(digest)).toEqual(all);
  });

  it('skips damaged lines and names that are not host/repo, and digests other than sha256', async () => {
    const cache = directoryContentCache(dir);
    await cache.addBlobLocation?.(digest, 'no-slash');
    await cache.addBlobLocation?.(digest, 'reg.test/with space');
    expect(await cache.blobLocations?.(digest)).toEqual([]);
    await mkdir(join(dir, 'locations'), { recursive: true });
    await writeFile(join(dir, 'locations', digest.slice('sha256:'.length)), 'reg.test/ok\n\0garbage\n/x\n');
    expect(await cache.blobLocations?.(digest)).toEqual(['reg.test/ok']);
    const other = `sha512:${'0'.repeat(128)}` as typeof digest;
    await cache.addBlobLocation?.(other, 'reg.test/a');
    expect(await cache.blobLocations?.(other)).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Digest, digestHex, type Layer, layerFromStream, sha256 } from '@kaniko-ts/oci';
import { RegistryClient } from '@kaniko-ts/registry';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/index.js';
import { BuilderError } from '../builder-error.js';
import { mapLimit } from '../internal/map-limit.js';
import { extractLayer } from '../rootfs/extract-layer.js';
import type { LayerCache, LayerCacheOptions } from './layer-cache.js';
import { LocalDirLayerCache } from './local-dir-layer-cache.js';
import { RegistryLayerCache, type RegistryLayerCacheOptions } from './registry-layer-cache.js';

let work: string;
let registry: RunningRegistry;
let client: RegistryClient;
let repoCounter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-layer-cache-'));
  registry = await startRegistry({ variant: 'plain' });
  client = new RegistryClient({
    insecureRegistries: [registry.host],
    retry: { maxAttempts: 2, initialDelayMs: 10 },
  });
});
afterAll(async () => {
  await client?.close();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const key = (name: string) => sha256(name).slice('sha256:'.length);

/** A gzip layer that adds a file, deletes `etc/old.conf` and makes `var/lib` opaque. */
async function whiteoutLayer(content = 'new'): Promise<Layer> {
  const p = pack();
  const mtime = new Date(1_700_000_000_000);
  p.entry({ name: 'etc/', type: 'directory', mode: 0o755, mtime });
  p.entry({ name: 'etc/new.conf', mode: 0o644, mtime }, content);
  p.entry({ name: 'etc/.wh.old.conf', mode: 0o644, mtime }, '');
  p.entry({ name: 'var/lib/', type: 'directory', mode: 0o755, mtime });
  p.entry({ name: 'var/lib/.wh..wh..opq', mode: 0o644, mtime }, '');
  p.finalize();
  const dir = join(work, 'layers');
  await mkdir(dir, { recursive: true });
  return layerFromStream(p, { compression: 'gzip', dir });
}

async function bytes(layer: Layer): Promise<Buffer> {
  return Buffer.concat(await (await layer.compressed()).toArray());
}

interface Subject {
  name: string;
  make(opts?: LayerCacheOptions & RegistryLayerCacheOptions): LayerCache;
  /** Overwrites a stored blob with other bytes of the same length. */
  corrupt(cache: LayerCache, digest: Digest): Promise<void>;
}

const subjects: Subject[] = [
  {
    name: 'LocalDirLayerCache',
    make: (opts) => new LocalDirLayerCache(join(work, `local-${repoCounter++}`), opts),
    corrupt: async (cache, digest) => {
      const path = join((cache as LocalDirLayerCache).dir, 'blobs/sha256', digestHex(digest));
      const size = (await stat(path)).size;
      await writeFile(path, Buffer.alloc(size, 0x41));
    },
  },
  {
    name: 'RegistryLayerCache',
    make: (opts) => new RegistryLayerCache(client, `${registry.host}/cache/t${repoCounter++}`, opts),
    corrupt: async (_cache, digest) => {
      const hex = digestHex(digest);
      const path = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      const size = (await stat(path)).size;
      await rm(path); // a fresh file, in case the blob is hard-linked elsewhere
      await writeFile(path, Buffer.alloc(size, 0x41));
    },
  },
];

describe.each(subjects)('$name', (subject) => {
  it('stores a layer with whiteouts verbatim: deleted files stay deleted after a cached rebuild', async () => {
    const cache = subject.make();
    const layer = await whiteoutLayer();
    await cache.put(key('w'), layer, { createdBy: 'RUN rm /etc/old.conf', emptyLayer: false });
    const hits = await cache.get([key('w')]);
    const hit = hits.get(key('w'));
    expect(hit).toBeDefined();
    expect(hit!.emptyLayer).toBe(false);
    expect(hit!.history.created_by).toBe('RUN rm /etc/old.conf');
    expect(hit!.diffId).toBe(await layer.diffId());
    expect(hit!.layer!.descriptor().digest).toBe(layer.descriptor().digest);
    expect((await bytes(hit!.layer!)).equals(await bytes(layer))).toBe(true);

    // replay onto a root that has the deleted file: it is gone, the opaque dir is emptied
    const root = join(work, `root-${repoCounter++}`);
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'var/lib/apt'), { recursive: true });
    await writeFile(join(root, 'etc/old.conf'), 'old');
    await writeFile(join(root, 'var/lib/apt/state'), 'x');
    await extractLayer(root, await hit!.layer!.uncompressed());
    expect(existsSync(join(root, 'etc/old.conf'))).toBe(false);
    expect(await readFile(join(root, 'etc/new.conf'), 'utf8')).toBe('new');
    expect(await readdir(join(root, 'var/lib'))).toEqual([]);
  });

  it('answers many keys at once, hits only, without stopping at a miss', async () => {
    const cache = subject.make();
    const l1 = await whiteoutLayer('one');
    await cache.put(key('h1'), l1, { createdBy: 'COPY a /a', emptyLayer: false });
    await cache.put(key('h2'), undefined, {
      createdBy: 'ENV A=1',
      emptyLayer: true,
      config: { Env: ['A=1'] },
    });
    const hits = await cache.get([key('m1'), key('h1'), key('m2'), key('h2'), key('m3'), key('h1')]);
    expect([...hits.keys()].sort()).toEqual([key('h1'), key('h2')].sort());
    const empty = hits.get(key('h2'))!;
    expect(empty.layer).toBeUndefined();
    expect(empty.emptyLayer).toBe(true);
    expect(empty.history.empty_layer).toBe(true);
    expect(empty.config).toEqual({ Env: ['A=1'] });
    expect(await cache.get([])).toEqual(new Map());
  });

  it('treats entries older than the TTL as misses', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const cache = subject.make({ ttl: 60_000, now: () => now });
    await cache.put(key('ttl'), await whiteoutLayer(), { createdBy: 'RUN x', emptyLayer: false });
    now = new Date(now.getTime() + 59_000);
    expect((await cache.get([key('ttl')])).has(key('ttl'))).toBe(true);
    now = new Date(now.getTime() + 1_000);
    expect((await cache.get([key('ttl')])).has(key('ttl'))).toBe(false);
  });

  it('never uses a blob whose bytes do not match its digest', async () => {
    const warnings: string[] = [];
    const cache = subject.make({ verify: 'eager', onWarning: (m) => warnings.push(m) });
    const layer = await whiteoutLayer('to be corrupted');
    await cache.put(key('bad'), layer, { createdBy: 'RUN y', emptyLayer: false });
    expect((await cache.get([key('bad')])).has(key('bad'))).toBe(true);
    await subject.corrupt(cache, layer.descriptor().digest);
    expect((await cache.get([key('bad')])).has(key('bad'))).toBe(false);
    expect(warnings.join('\n')).toMatch(/DIGEST_MISMATCH|does not match its digest/);
  });

  it('keeps a complete entry when builds store the same key concurrently', async () => {
    const cache = subject.make();
    const layers = await Promise.all([0, 1, 2, 3].map((i) => whiteoutLayer(`variant ${i}`)));
    await Promise.all(
      [...layers, ...layers].map((l, i) =>
        cache.put(key('same'), l, { createdBy: `RUN ${i % 4}`, emptyLayer: false }),
      ),
    );
    const hit = (await cache.get([key('same')])).get(key('same'));
    expect(hit).toBeDefined();
    const i = Number(hit!.history.created_by!.slice(4));
    const stored = layers[i]!;
    // whichever write won, the entry, its diffID and its blob belong together
    expect(hit!.diffId).toBe(await stored.diffId());
    expect((await bytes(hit!.layer!)).equals(await bytes(stored))).toBe(true);
    if (cache instanceof LocalDirLayerCache) expect(await readdir(join(cache.dir, 'tmp'))).toEqual([]);
  });

  it('refuses keys that are not 64 hex digits', async () => {
    const cache = subject.make();
    await expect(
      cache.put('../../etc/passwd', undefined, { createdBy: 'x', emptyLayer: true }),
    ).rejects.toThrow(BuilderError);
    await expect(cache.get(['latest'])).rejects.toThrow(/not 64 hex digits/);
  });
});

describe('RegistryLayerCache', () => {
  it('stores one tagged OCI image per key, carrying diffID, history and creation time', async () => {
    const repo = `${registry.host}/cache/shape`;
    const cache = new RegistryLayerCache(client, repo, { now: () => new Date('2026-03-04T05:06:07Z') });
    const layer = await whiteoutLayer('shape');
    await cache.put(key('shape'), layer, { createdBy: 'COPY x /x', emptyLayer: false });
    const image = await client.pullImage(`${repo}:${key('shape')}`);
    const manifest = await image.manifest();
    expect(manifest.layers.map((d) => d.digest)).toEqual([layer.descriptor().digest]);
    expect(manifest.annotations?.['dev.kaniko-ts.cache.key']).toBe(key('shape'));
    const config = await image.config();
    expect(config.created).toBe('2026-03-04T05:06:07.000Z');
    expect(config.rootfs.diff_ids).toEqual([await layer.diffId()]);
    expect(config.history).toEqual([{ created: '2026-03-04T05:06:07.000Z', created_by: 'COPY x /x' }]);
  });

  it('in lazy mode hands out a corrupted blob only as a stream that fails, never as data', async () => {
    const subject = subjects[1]!;
    const cache = subject.make({ verify: 'lazy' });
    const layer = await whiteoutLayer('lazy');
    await cache.put(key('lazy'), layer, { createdBy: 'RUN z', emptyLayer: false });
    await subject.corrupt(cache, layer.descriptor().digest);
    const hit = (await cache.get([key('lazy')])).get(key('lazy'));
    expect(hit).toBeDefined();
    await expect(bytes(hit!.layer!)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    const root = join(work, `lazy-root-${repoCounter++}`);
    await mkdir(root);
    await expect(async () => extractLayer(root, await hit!.layer!.uncompressed())).rejects.toThrow();
  });
});

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and every result in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60, 70]);
    expect(peak).toBe(3);
  });
});

describe('LocalDirLayerCache', () => {
  it('hashes blobs read whole (small) and streamed (over 1 MiB) alike: corruption is a miss either way', async () => {
    const subject = subjects[0]!;
    const warnings: string[] = [];
    const cache = subject.make({ onWarning: (m) => warnings.push(m) });
    const small = await whiteoutLayer('small');
    const mid = await layerFromStream(
      (async function* () {
        const { randomBytes } = await import('node:crypto');
        for (let i = 0; i < 2; i++) yield randomBytes(1 << 20);
      })(),
      { compression: 'gzip', dir: work },
    );
    expect(mid.descriptor().size).toBeGreaterThan(1024 * 1024);
    await cache.put(key('small'), small, { createdBy: 'RUN small', emptyLayer: false });
    await cache.put(key('mid'), mid, { createdBy: 'RUN mid', emptyLayer: false });
    expect([...(await cache.get([key('small'), key('mid')])).keys()].sort()).toEqual(
      [key('small'), key('mid')].sort(),
    );
    await subject.corrupt(cache, small.descriptor().digest);
    await subject.corrupt(cache, mid.descriptor().digest);
    expect((await cache.get([key('small'), key('mid')])).size).toBe(0);
    expect(warnings.filter((w) => /does not match its digest/.test(w))).toHaveLength(2);
  });

  it('checks only the size of a blob over 16 MiB on lookup; its bytes are verified when read', async () => {
    const subject = subjects[0]!;
    const cache = subject.make();
    // 20 MiB of random bytes: stays over 16 MiB compressed
    const big = await layerFromStream(
      (async function* () {
        const { randomBytes } = await import('node:crypto');
        for (let i = 0; i < 20; i++) yield randomBytes(1 << 20);
      })(),
      { compression: 'gzip', dir: work },
    );
    expect(big.descriptor().size).toBeGreaterThan(16 * 1024 * 1024);
    await cache.put(key('big'), big, { createdBy: 'RUN big', emptyLayer: false });
    await subject.corrupt(cache, big.descriptor().digest);
    const hit = (await cache.get([key('big')])).get(key('big'));
    expect(hit).toBeDefined(); // same size: only reading can tell
    await expect(bytes(hit!.layer!)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    // a short blob is a miss at lookup
    const path = join((cache as LocalDirLayerCache).dir, 'blobs/sha256', digestHex(big.descriptor().digest));
    await writeFile(path, Buffer.alloc(1000));
    expect((await cache.get([key('big')])).has(key('big'))).toBe(false);
  });

  it('lets readers run while writers store: every answer is a miss or a complete, verified hit', async () => {
    const cache = new LocalDirLayerCache(join(work, 'busy'));
    const layers = await Promise.all([0, 1, 2].map((i) => whiteoutLayer(`busy ${i}`)));
    const expected = new Map(
      await Promise.all(layers.map(async (l) => [await l.diffId(), await bytes(l)] as const)),
    );
    const writers = Array.from({ length: 12 }, (_, i) =>
      cache.put(key(`busy${i % 3}`), layers[i % 3], { createdBy: `RUN ${i}`, emptyLayer: false }),
    );
    let seen = 0;
    let done = false;
    const read = async () => {
      const hits = await cache.get([0, 1, 2].map((i) => key(`busy${i}`)));
      for (const hit of hits.values()) {
        seen++;
        expect((await bytes(hit.layer!)).equals(expected.get(hit.diffId!)!)).toBe(true);
      }
      return hits.size;
    };
    const readers = Array.from({ length: 3 }, async () => {
      while (!done) await read();
    });
    await Promise.all(writers);
    done = true;
    await Promise.all(readers);
    expect(await read()).toBe(3);
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it('prunes expired entries and the blobs only they used', async () => {
    let now = new Date();
    const cache = new LocalDirLayerCache(join(work, 'prune'), { ttl: 60_000, now: () => now });
    const old = await whiteoutLayer('old');
    const shared = await whiteoutLayer('shared');
    await cache.put(key('old'), old, { createdBy: 'RUN old', emptyLayer: false });
    await cache.put(key('shared-old'), shared, { createdBy: 'RUN s', emptyLayer: false });
    now = new Date(now.getTime() + 50_000);
    await cache.put(key('shared-new'), shared, { createdBy: 'RUN s', emptyLayer: false });
    now = new Date(now.getTime() + 20_000);
    expect(await cache.prune({ graceMs: 0 })).toEqual({ entries: 2, blobs: 1 });
    const blobs = await readdir(join(cache.dir, 'blobs/sha256'));
    expect(blobs).toEqual([digestHex(shared.descriptor().digest)]);
    const hits = await cache.get([key('old'), key('shared-old'), key('shared-new')]);
    expect([...hits.keys()]).toEqual([key('shared-new')]);
  });
});

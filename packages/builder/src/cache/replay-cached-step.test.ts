import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type History, type Layer, layerFromStream, sha256 } from '@kaniko-ts/oci';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractLayer } from '../rootfs/extract-layer.js';
import { LocalDirLayerCache } from './local-dir-layer-cache.js';
import { replayCachedStep } from './replay-cached-step.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-replay-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tarLayer(entries: Array<{ name: string; body?: string; dir?: boolean }>): Promise<Layer> {
  const p = pack();
  for (const e of entries) {
    if (e.dir) p.entry({ name: e.name, type: 'directory', mode: 0o755, mtime: new Date(0) });
    else p.entry({ name: e.name, mode: 0o644, mtime: new Date(0) }, e.body ?? '');
  }
  p.finalize();
  return layerFromStream(p, { compression: 'gzip', dir: work });
}

const key = sha256('run rm').slice(7);

async function setup() {
  const base = await tarLayer([
    { name: 'etc/', dir: true },
    { name: 'etc/old.conf', body: 'old' },
    { name: 'etc/keep', body: 'k' },
  ]);
  const run = await tarLayer([
    { name: 'etc/', dir: true },
    { name: 'etc/.wh.old.conf' },
    { name: 'etc/made', body: 'm' },
  ]);
  const cache = new LocalDirLayerCache(join(work, `cache-${Math.random()}`));
  await cache.put(key, run, { createdBy: 'RUN rm /etc/old.conf && touch /etc/made', emptyLayer: false });
  const hit = (await cache.get([key])).get(key);
  expect(hit).toBeDefined();
  return { base, hit: hit! };
}

async function rootWith(layers: Layer[]): Promise<string> {
  const dir = join(work, `root-${Math.random()}`);
  await mkdir(dir);
  for (const l of layers) await extractLayer(dir, await l.uncompressed());
  return dir;
}

describe('replayCachedStep', () => {
  it('without a root file system only records the layer; extracting later keeps the deletion', async () => {
    const { base, hit } = await setup();
    const state: { layers: Layer[]; history: History[]; rootfs?: string } = { layers: [base], history: [{}] };
    let extracted = 0;
    await replayCachedStep(state, hit, {
      extractTar: async () => {
        extracted++;
      },
      created: '1970-01-01T00:00:00.000Z',
    });
    expect(extracted).toBe(0);
    expect(state.layers).toHaveLength(2);
    expect(state.history[1]).toEqual({
      created: '1970-01-01T00:00:00.000Z',
      created_by: 'RUN rm /etc/old.conf && touch /etc/made',
    });
    // a later miss materialises the root from state.layers, as the engine's rootfs() does
    const root = await rootWith(state.layers);
    expect(existsSync(join(root, 'etc/old.conf'))).toBe(false);
    expect(await readFile(join(root, 'etc/made'), 'utf8')).toBe('m');
    expect(await readFile(join(root, 'etc/keep'), 'utf8')).toBe('k');
  });

  it('with a root file system extracts the cached layer onto it at once', async () => {
    const { base, hit } = await setup();
    const root = await rootWith([base]);
    const state = { layers: [base], history: [{}], rootfs: root };
    await replayCachedStep(state, hit, { extractTar: (dir, tar) => extractLayer(dir, tar).then(() => {}) });
    expect(existsSync(join(root, 'etc/old.conf'))).toBe(false);
    expect(await readFile(join(root, 'etc/made'), 'utf8')).toBe('m');
    expect(state.history[1]?.created).toBe(hit.history.created);
  });

  it('records an empty-layer step without a layer', async () => {
    const cache = new LocalDirLayerCache(join(work, 'empty-cache'));
    await cache.put(key, undefined, { createdBy: 'WORKDIR /app', emptyLayer: true });
    const hit = (await cache.get([key])).get(key)!;
    const state = { layers: [] as Layer[], history: [] as History[] };
    await replayCachedStep(state, hit, { extractTar: async () => {} });
    expect(state.layers).toEqual([]);
    expect(state.history).toEqual([
      { created: hit.history.created, created_by: 'WORKDIR /app', empty_layer: true },
    ]);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuildPlan, type PlannedStage } from '@kaniko-ts/dockerfile';
import { layerFromBytes } from '@kaniko-ts/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheSession } from './cache-session.js';
import type { LayerCache } from './layer-cache.js';
import { LocalDirLayerCache } from './local-dir-layer-cache.js';

let dir: string;
let ctx: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kts-session-'));
  ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'two'), { recursive: true });
  await writeFile(join(ctx, 'one.txt'), 'one');
  await writeFile(join(ctx, 'two/a.txt'), 'a');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DOCKERFILE = [
  'FROM scratch AS a',
  'COPY one.txt /one',
  'FROM scratch',
  'COPY --from=a /one /one',
  'RUN --mount=type=secret,id=tok make',
  'ENV X=1',
  'COPY two/ /two/',
  'WORKDIR /app',
].join('\n');

/** Runs the plan the way the engine loop would: hits are used, misses "run" and are stored. */
async function build(cache: LayerCache, dockerfile = DOCKERFILE, warnings: string[] = []) {
  const plan = createBuildPlan(dockerfile, { lint: false });
  const session = await CacheSession.open(
    cache,
    {
      plan,
      platform: 'linux/amd64',
      layerFormat: { compression: 'gzip' },
      baseDigest: () => `sha256:${'1'.repeat(64)}`,
      imageDigest: () => `sha256:${'2'.repeat(64)}`,
      context: { root: ctx, visible: () => true },
    },
    { onWarning: (m) => warnings.push(m) },
  );
  const ran: string[] = [];
  const used: string[] = [];
  for (const index of plan.order) {
    const stage = plan.stages[index] as PlannedStage;
    for (const [i, ins] of stage.instructions.entries()) {
      const hit = session.lookup(index, i, ins);
      if (hit) {
        used.push(`${ins.kind}:${hit.history.created_by}`);
        continue;
      }
      ran.push(ins.kind);
      const layer =
        ins.kind === 'WORKDIR'
          ? undefined
          : await layerFromBytes(`made by ${ins.original}`, { compression: 'gzip' });
      session.store(index, i, ins, layer, { createdBy: ins.original });
    }
  }
  return { ran, used, stats: await session.flush(), session };
}

describe('CacheSession', () => {
  it('stores the first build and replays a rebuild without running any file-system step', async () => {
    const cache = new LocalDirLayerCache(join(dir, 'c1'));
    const first = await build(cache);
    expect(first.ran).toEqual(['COPY', 'COPY', 'RUN', 'ENV', 'COPY', 'WORKDIR']);
    expect(first.stats).toEqual({ hits: 0, misses: 5, unkeyed: 0, stored: 5, storeFailures: 0 });
    const second = await build(cache);
    expect(second.ran).toEqual(['ENV']); // metadata steps are cheap and always re-applied
    expect(second.used).toEqual([
      'COPY:COPY one.txt /one',
      'COPY:COPY --from=a /one /one',
      'RUN:RUN --mount=type=secret,id=tok make',
      'COPY:COPY two/ /two/',
      'WORKDIR:WORKDIR /app',
    ]);
    expect(second.stats).toEqual({ hits: 5, misses: 0, unkeyed: 0, stored: 0, storeFailures: 0 });
  });

  it('reruns exactly the steps that depend on a changed file, in this stage and the next', async () => {
    const cache = new LocalDirLayerCache(join(dir, 'c2'));
    await build(cache);
    await writeFile(join(ctx, 'one.txt'), 'ONE');
    const again = await build(cache);
    expect(again.ran).toEqual(['COPY', 'COPY', 'RUN', 'ENV', 'COPY', 'WORKDIR']);
    await writeFile(join(ctx, 'two/a.txt'), 'A');
    const third = await build(cache);
    expect(third.ran).toEqual(['ENV', 'COPY', 'WORKDIR']);
    expect(third.stats).toMatchObject({ hits: 3, misses: 2 });
  });

  it('remembers when an image was built, found by the lookup it opens with, only when no step ran', async () => {
    const cache = new LocalDirLayerCache(join(dir, 'c3'));
    const content = 'a'.repeat(64);
    const first = await build(cache);
    expect(first.session.imageTime(content)).toBeUndefined(); // steps ran
    first.session.rememberImageTime(content, '2026-01-02T03:04:05.000Z');
    expect(await first.session.flush()).toMatchObject({ stored: 5 }); // not counted as a step
    const asked: string[][] = [];
    const spy: LayerCache = {
      get: (keys) => {
        asked.push([...keys]);
        return cache.get(keys);
      },
      put: cache.put.bind(cache),
    };
    const second = await build(spy);
    // one lookup for everything: the steps' keys and the image's
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(second.session.keys.keys().length + 1);
    expect(second.session.imageTime(content)).toBe('2026-01-02T03:04:05.000Z');
    // another content under the same final key (a label, a rebuilt step): not that time
    expect(second.session.imageTime('b'.repeat(64))).toBeUndefined();
    await writeFile(join(ctx, 'two/a.txt'), 'changed for c3');
    const third = await build(cache);
    expect(third.session.imageTime(content)).toBeUndefined();
  });

  it('counts steps it cannot key and warns, without failing, when a store fails', async () => {
    const warnings: string[] = [];
    const broken: LayerCache = {
      get: async () => new Map(),
      put: async () => {
        throw new Error('disk full');
      },
    };
    const df = 'FROM scratch\nCOPY one.txt /one\nADD https://example.com/x /x\nRUN true\n';
    const r = await build(broken, df, warnings);
    expect(r.stats).toEqual({ hits: 0, misses: 1, unkeyed: 2, stored: 0, storeFailures: 1 });
    expect(warnings).toEqual([
      expect.stringMatching(/^storing cache entry [0-9a-f]{64} for "COPY one.txt \/one": disk full$/),
    ]);
  });
});

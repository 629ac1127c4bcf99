import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../../test/harness/index.js';
import { build } from './build.js';

let work: string;
let client: RegistryClient;
const reg = () => harness().registries.plain;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-lazy-setup-'));
  client = new RegistryClient({ insecureRegistries: [reg().host] });
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

async function buildOnce(ctx: string, cacheDir: string, name: string) {
  const info: string[] = [];
  const outcome = await build({
    context: ctx,
    destinations: [],
    push: false,
    cache: true,
    cacheDir,
    registry: client,
    workDir: join(work, name),
    reproducible: true,
    events: { info: (m) => info.push(m) },
  });
  const layers = (await outcome.image?.manifest())?.layers.map((l) => l.digest);
  return { outcome, layers, probed: info.filter((m) => m.startsWith('executor: ')) };
}

describe('executor and snapshotter probes', () => {
  it('run when a step misses the cache, and not at all on a fully cached rebuild', async () => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'f.txt'), 'copied\n');
    await writeFile(
      join(ctx, 'Dockerfile'),
      [`FROM ${reg().bases.busybox.ref}`, 'COPY f.txt /f.txt', 'RUN echo ran > /ran', 'ENV A=1', ''].join(
        '\n',
      ),
    );
    const cacheDir = join(work, 'cache');
    const cold = await buildOnce(ctx, cacheDir, 'cold');
    // the RUN missed: the executor and snapshotter were probed once, and the choice logged
    expect(cold.probed).toHaveLength(1);
    const warm = await buildOnce(ctx, cacheDir, 'warm');
    expect(warm.probed).toEqual([]);
    // the same layers, taken from the cache (the config's history dates are the cache entries')
    expect(warm.layers).toEqual(cold.layers);
    expect(cold.layers).toHaveLength(3);
    // a changed RUN: the probe is back
    await writeFile(
      join(ctx, 'Dockerfile'),
      [`FROM ${reg().bases.busybox.ref}`, 'COPY f.txt /f.txt', 'RUN echo ran2 > /ran', 'ENV A=1', ''].join(
        '\n',
      ),
    );
    const changed = await buildOnce(ctx, cacheDir, 'changed');
    expect(changed.probed).toHaveLength(1);
    expect(changed.layers?.slice(0, 2)).toEqual(cold.layers?.slice(0, 2));
    expect(changed.layers?.[2]).not.toBe(cold.layers?.[2]);
  });

  it('without a layer cache: up front when the Dockerfile has a RUN, never when it has none', async () => {
    const run = async (name: string, dockerfile: string) => {
      const ctx = join(work, name);
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), dockerfile);
      const log: string[] = [];
      await build({
        context: ctx,
        destinations: [],
        push: false,
        registry: client,
        workDir: join(work, `${name}-w`),
        events: { info: (m) => log.push(m), stage: (e) => log.push(`stage ${e.index}`) },
      });
      return log.filter((m) => m.startsWith('executor: ') || m.startsWith('stage '));
    };
    const withRun = await run('nocache-run', `FROM ${reg().bases.busybox.ref}\nRUN true\n`);
    // probed once, before the first stage starts (while the base image is fetched)
    expect(withRun).toHaveLength(2);
    expect(withRun[0]).toMatch(/^executor: /);
    expect(withRun[1]).toBe('stage 0');
    expect(await run('nocache-norun', `FROM ${reg().bases.busybox.ref}\nENV A=1\n`)).toEqual(['stage 0']);
  });
});

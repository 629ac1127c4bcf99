import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  build,
  buildImage,
  detectExecutor,
  extractLayer,
  LocalDirLayerCache,
  StatWalkSnapshotter,
} from '@kaniko-ts/builder';
import type { Image, Layer } from '@kaniko-ts/oci';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { harness } from './harness/index.js';

let work: string;
let client: RegistryClient;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-engine-cache-'));
  client = new RegistryClient({ insecureRegistries: [harness().registries.plain.host] });
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

/**
 * The layer cache in real builds (issue 5): a rebuild with no change runs no RUN and reads no base
 * layer; a changed context file or build arg rebuilds exactly the dependent steps; a file deleted by a
 * cached RUN stays deleted.
 */
it('engine with cache: rebuild runs nothing and reads no base layer; a hit before a miss keeps deletions', async () => {
  const base = harness().registries.plain.bases.busybox.ref;
  const ctx = join(work, 'ctx');
  await mkdir(ctx);
  await writeFile(join(ctx, 'a.txt'), 'first');
  const dockerfile = [
    `FROM ${base} AS one`,
    'RUN rm /bin/ls && echo built > /built',
    'COPY a.txt /a.txt',
    'RUN test ! -e /bin/ls && cat /a.txt /built > /copy',
    'WORKDIR /app',
    'FROM one',
    'RUN test ! -e /bin/ls && cat /copy > /child',
    'RUN echo c1 > /c1',
    'ARG V',
    'RUN test -e /c1 && echo $V > /v',
  ].join('\n');
  const cache = new LocalDirLayerCache(join(work, 'cache'));
  const exec = (await detectExecutor()).executor;
  let n = 0;
  let allRuns = 0;
  const run = async (buildArgs: Record<string, string> = { V: '1' }, ready?: Promise<unknown>) => {
    const day = n++;
    const counts = { runs: 0, baseReads: 0, info: [] as string[] };
    const wrap = (l: Layer): Layer => ({
      ...l,
      compressed: () => {
        counts.baseReads++;
        return l.compressed();
      },
      uncompressed: () => {
        counts.baseReads++;
        return l.uncompressed();
      },
    });
    const result = await buildImage(
      {
        dockerfile: { text: dockerfile, path: 'Dockerfile' },
        context: { root: ctx, visible: () => true },
        platform: { os: 'linux', architecture: 'amd64' },
        images: {
          resolve: async (ref, p) => {
            const img = await client.pullImage(ref, { platform: p });
            return { ...img, layers: async () => (await img.layers()).map(wrap) } as Image;
          },
        },
        executor: {
          kind: exec.kind,
          run: (o) => {
            counts.runs++;
            allRuns++;
            return exec.run(o);
          },
        },
        workDir: join(work, `w${day}`),
        // a day later each build: a rebuild with no change keeps the first build's time
        now: () => new Date(Date.UTC(2026, 0, 1 + day)),
        buildArgs,
        cache,
        ...(ready ? { ready } : {}),
        events: { info: (m) => counts.info.push(m) },
      },
      { snapshotter: new StatWalkSnapshotter({}) },
    );
    const root = join(work, `out${day}`);
    await mkdir(root);
    for (const l of await result.image.layers()) await extractLayer(root, await l.uncompressed());
    return { ...counts, result, root };
  };

  const first = await run();
  expect(first.runs).toBe(5);
  expect(await readFile(join(first.root, 'child'), 'utf8')).toBe('firstbuilt\n');
  const cfg1 = await first.result.image.config();

  const second = await run(undefined, Promise.resolve());
  expect(second.runs).toBe(0);
  const cfg2 = await second.result.image.config();
  expect(cfg2.rootfs.diff_ids).toEqual(cfg1.rootfs.diff_ids);
  // the same content is the same image, digest included, stamped with the first build's time
  expect(cfg1.created).toBe('2026-01-01T00:00:00.000Z');
  expect(cfg2.created).toBe(cfg1.created);
  expect(cfg2.history).toEqual(cfg1.history);
  expect(await second.result.image.digest()).toBe(await first.result.image.digest());
  expect(second.info.some((m) => m.startsWith('same content as the image built at 2026-01-01'))).toBe(true);
  expect(cfg2.config?.WorkingDir).toBe('/app');
  // only the final extraction in this test reads base layers; the build itself read none
  expect(second.baseReads).toBe(1);

  await writeFile(join(ctx, 'a.txt'), 'second');
  const third = await run();
  expect(third.runs).toBe(4); // first RUN hit; its whiteout was applied before the miss
  expect(existsSync(join(third.root, 'bin/ls'))).toBe(false);
  expect(await readFile(join(third.root, 'child'), 'utf8')).toBe('secondbuilt\n');
  const cfg3 = await third.result.image.config();
  expect(cfg3.created).toBe('2026-01-03T00:00:00.000Z');
  expect(await third.result.image.digest()).not.toBe(await first.result.image.digest());

  // a FROM <stage> child whose first steps hit and a later one misses (a changed build arg)
  const fourth = await run({ V: '2' });
  expect(fourth.runs).toBe(1);
  expect(await readFile(join(fourth.root, 'v'), 'utf8')).toBe('2\n');

  // a check that fails (the push permission) stops the first step that has to run, before it runs
  const refused = Promise.reject(new Error('push refused'));
  refused.catch(() => undefined);
  const before = allRuns;
  const denied = await run({ V: 'denied' }, refused).catch((e: unknown) => e);
  expect((denied as Error).message).toBe('push refused');
  expect(allRuns).toBe(before);
});

it('build() with --cache and a registry cache repository: the rebuild is fully cached', async () => {
  const reg = harness().registries.plain;
  const ctx = join(work, 'ctx-registry');
  await mkdir(ctx);
  await writeFile(
    join(ctx, 'Dockerfile'),
    `FROM ${reg.bases.busybox.ref}\nCOPY f /f\nRUN cat /f > /g && rm /bin/ls\nWORKDIR /w\n`,
  );
  await writeFile(join(ctx, 'f'), 'content');
  const info: string[] = [];
  const once = (tag: string) =>
    build({
      context: ctx,
      destinations: [`${reg.host}/cached/app:${tag}`],
      push: true,
      cache: true,
      registry: client,
      events: { info: (m) => info.push(m) },
    });
  const a = await once('a');
  const stats = () =>
    JSON.parse((info.filter((m) => m.startsWith('cache: ')).at(-1) ?? 'cache: {}').slice(7));
  expect(stats().hits ?? 0).toBe(0);
  const b = await once('b');
  expect(stats().hits).toBe(3);
  expect(stats().misses ?? 0).toBe(0);
  expect(b.digest).not.toBe(undefined);
  const [ca, cb] = await Promise.all([a.image?.config(), b.image?.config()]);
  expect(cb?.rootfs.diff_ids).toEqual(ca?.rootfs.diff_ids);
  // the registry cache remembers the first build's time too: the same image under both tags
  expect(b.digest).toBe(a.digest);
});

it('build() with --cache-dir: a rebuild is the same image until something changes, even a CMD no step caches', async () => {
  const reg = harness().registries.plain;
  const ctx = join(work, 'ctx-same-image');
  await mkdir(ctx);
  let day = 1;
  const once = async (cmd: string) => {
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM ${reg.bases.busybox.ref}\nRUN echo x > /x\nCMD ["${cmd}"]\n`,
    );
    const stamp = new Date(Date.UTC(2026, 1, day++));
    const outcome = await build({
      context: ctx,
      destinations: [],
      push: false,
      cache: true,
      cacheDir: join(work, 'cache-same-image'),
      registry: client,
      workDir: join(work, `wd-same-image-${day}`),
      now: () => stamp,
    });
    const image = outcome.image as Image;
    return { digest: await image.digest(), config: await image.config() };
  };
  const a = await once('a');
  const again = await once('a');
  expect(again.digest).toBe(a.digest);
  expect(again.config.created).toBe('2026-02-01T00:00:00.000Z');
  const b = await once('b');
  expect(b.digest).not.toBe(a.digest);
  expect(b.config.created).toBe('2026-02-03T00:00:00.000Z');
  expect(b.config.config?.Cmd).toEqual(['b']);
  // back to the first content: its image again, as first built
  expect((await once('a')).digest).toBe(a.digest);
});

it('build() with --cache-dir: a changed context file rebuilds the COPY and the RUN after it, with the new content', async () => {
  // regression: build()'s context passed an unbound method to the cache keys, so every context
  // digest hashed alike and the changed file came back from the cache with its old content
  const reg = harness().registries.plain;
  const ctx = join(work, 'ctx-changed-file');
  await mkdir(ctx);
  await writeFile(
    join(ctx, 'Dockerfile'),
    `FROM ${reg.bases.busybox.ref}\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g.txt\n`,
  );
  await writeFile(join(ctx, 'f.txt'), 'first\n');
  const once = async (name: string) => {
    const ends: { text: string; cached: boolean }[] = [];
    const outcome = await build({
      context: ctx,
      destinations: [],
      push: false,
      cache: true,
      cacheDir: join(work, 'cache-changed-file'),
      registry: client,
      workDir: join(work, `wd-changed-file-${name}`),
      reproducible: true,
      events: { instructionEnd: (e) => ends.push({ text: e.text, cached: e.cached === true }) },
    });
    const layers = await (outcome.image as Image).layers();
    const top = join(work, `top-changed-file-${name}`);
    await mkdir(top);
    await extractLayer(top, await (layers.at(-1) as Layer).uncompressed());
    return { ends, g: await readFile(join(top, 'g.txt'), 'utf8') };
  };
  const a = await once('a');
  expect(a.ends.map((e) => e.cached)).toEqual([false, false]);
  const same = await once('same');
  expect(same.ends.map((e) => e.cached)).toEqual([true, true]);
  await writeFile(join(ctx, 'f.txt'), 'second\n');
  const b = await once('b');
  expect(b.ends.map((e) => e.cached)).toEqual([false, false]);
  expect(b.g).toBe('second\n');
});

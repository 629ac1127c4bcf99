import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient, RegistryError } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../../../test/harness/index.js';
import { build } from '../build.js';
import { BuilderError } from '../builder-error.js';
import { detectExecutor } from '../executor/detect-executor.js';
import { OverlaySnapshotter } from '../snapshot/overlay-snapshotter.js';
import { StatWalkSnapshotter } from '../snapshot/stat-walk-snapshotter.js';
import { buildImage } from './build-image.js';

/** A forwarding proxy in front of the real test registry that records every request with its time. */
interface LoggedRequest {
  method: string;
  url: string;
  at: number;
  status?: number;
}
async function startProxy(target: string): Promise<{ host: string; log: LoggedRequest[]; server: Server }> {
  const [hostname, port] = target.split(':') as [string, string];
  const log: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? '', url: req.url ?? '', at: performance.now() };
    log.push(entry);
    const upstream = request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, log, server };
}

let work: string;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let client: RegistryClient;
const reg = () => harness().registries.plain;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-engine-'));
  proxy = await startProxy(reg().host);
  client = new RegistryClient({ insecureRegistries: [reg().host, proxy.host] });
});
afterAll(async () => {
  await client.close();
  await new Promise((r) => proxy.server.close(r));
  await rm(work, { recursive: true, force: true });
});

async function context(name: string, dockerfile: string[]): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
  return dir;
}

describe('concurrent stages', () => {
  it.each(['stat-walk', 'overlay'] as const)(
    '%s: build independent stages at once, with the same image, timings order and events as one at a time',
    async (kind) => {
      const base = reg().bases.busybox.ref;
      const dockerfile = [
        `FROM ${base} AS a`,
        'RUN sleep 0.6 && echo a > /a',
        `FROM ${base} AS b`,
        'RUN sleep 0.6 && echo b > /b',
        'RUN echo b2 > /from-b',
        `FROM ${base}`,
        'COPY --from=a /a /a',
        'COPY --from=b /b /from-b /',
      ].join('\n');
      const exec = (await detectExecutor()).executor;
      let n = 0;
      const once = async (maxConcurrentStages: number) => {
        const runs: { start: number; end: number }[] = [];
        const events: string[] = [];
        const result = await buildImage(
          {
            dockerfile: { text: dockerfile, path: 'Dockerfile' },
            context: { root: work, visible: () => true },
            platform: { os: 'linux', architecture: 'amd64' },
            images: { resolve: (ref, p) => client.pullImage(ref, { platform: p }) },
            executor: {
              kind: exec.kind,
              run: async (o) => {
                const r = { start: performance.now(), end: 0 };
                runs.push(r);
                const code = await exec.run(o);
                r.end = performance.now();
                return code;
              },
            },
            workDir: join(work, `concurrent-${kind}-${n++}`),
            reproducible: true,
            maxConcurrentStages,
            events: {
              stage: (e) => events.push(`stage ${e.index}`),
              instructionStart: (e) => events.push(`start ${e.stage}:${e.line}`),
              instructionEnd: (e) => events.push(`end ${e.stage}:${e.line} ${e.layer?.digest ?? '-'}`),
            },
          },
          kind === 'overlay'
            ? {
                snapshotter: new OverlaySnapshotter({ stateDir: join(work, 'overlay-state') }),
                createSnapshotter: () => new OverlaySnapshotter({ stateDir: join(work, 'overlay-state') }),
              }
            : {
                snapshotter: new StatWalkSnapshotter({}),
                createSnapshotter: () => new StatWalkSnapshotter({}),
              },
        );
        return { result, runs, events };
      };
      const sequential = await once(1);
      const concurrent = await once(2);
      // the two RUNs overlapped in time only when stages may run at once
      const [s1, s2] = sequential.runs as [{ start: number; end: number }, { start: number; end: number }];
      const [c1, c2] = concurrent.runs as [{ start: number; end: number }, { start: number; end: number }];
      expect(Math.max(s1.start, s2.start)).toBeGreaterThanOrEqual(Math.min(s1.end, s2.end));
      expect(Math.max(c1.start, c2.start)).toBeLessThan(Math.min(c1.end, c2.end));
      expect(await concurrent.result.image.digest()).toBe(await sequential.result.image.digest());
      expect(concurrent.events).toEqual(sequential.events);
      expect(concurrent.result.timings.map((t) => `${t.stage}:${t.line}`)).toEqual(
        sequential.result.timings.map((t) => `${t.stage}:${t.line}`),
      );
      expect(concurrent.events[0]).toBe('stage 0');
    },
  );

  it('a failing stage fails the build with its own error while the other stage finishes', async () => {
    const base = reg().bases.busybox.ref;
    const exec = (await detectExecutor()).executor;
    const build = buildImage(
      {
        dockerfile: {
          text: [
            `FROM ${base} AS a`,
            'RUN exit 3',
            `FROM ${base} AS b`,
            'RUN sleep 0.3',
            `FROM ${base}`,
            'COPY --from=a /bin/sh /x',
            'COPY --from=b /bin/sh /y',
          ].join('\n'),
          path: 'Dockerfile',
        },
        context: { root: work, visible: () => true },
        platform: { os: 'linux', architecture: 'amd64' },
        images: { resolve: (ref, p) => client.pullImage(ref, { platform: p }) },
        executor: exec,
        workDir: join(work, 'failing-stage'),
        maxConcurrentStages: 2,
      },
      { snapshotter: new StatWalkSnapshotter({}), createSnapshotter: () => new StatWalkSnapshotter({}) },
    );
    await expect(build).rejects.toThrow(/Dockerfile:2:1: RUN exit 3: .*exit code 3/);
  });
});

describe('pushing while building', () => {
  it('uploads each layer as soon as it exists; the final push only writes the config and the manifest', async () => {
    const ctx = await context('early-upload', [
      `FROM ${reg().bases.busybox.ref}`,
      'RUN head -c 3000000 /dev/urandom > /first',
      'RUN sleep 1.5',
      'RUN echo done > /last',
    ]);
    const ends: { text: string; at: number }[] = [];
    const from = proxy.log.length;
    const dest = `${proxy.host}/early/app:v1`;
    const outcome = await build({
      context: ctx,
      destinations: [dest, `${proxy.host}/early/other:v1`],
      push: true,
      registry: client,
      workDir: join(work, 'early-upload-w'),
      snapshotter: 'stat-walk',
      events: { instructionEnd: (e) => ends.push({ text: e.text, at: performance.now() }) },
    });
    const log = proxy.log.slice(from);
    const manifest = await outcome.image?.manifest();
    // busybox's one layer, the first RUN's, the last RUN's (`sleep` changes nothing)
    expect(manifest?.layers).toHaveLength(3);
    const first = manifest?.layers[1];
    const sleepEnd = ends.find((e) => e.text === 'RUN sleep 1.5')?.at as number;
    const lastEnd = ends.at(-1)?.at as number;
    // the first RUN's layer reached both repositories while `sleep` still ran
    for (const repo of ['early/app', 'early/other']) {
      const put = log.find(
        (r) =>
          r.method === 'PUT' &&
          r.url.startsWith(`/v2/${repo}/blobs/uploads/`) &&
          r.url.includes(first?.digest.slice(7) ?? '?'),
      );
      expect(put, `PUT of ${first?.digest} to ${repo}`).toBeDefined();
      expect(put?.at).toBeLessThan(sleepEnd);
      expect(put?.status).toBe(201);
    }
    // after the last instruction: no request about an earlier layer's blob (the last one only
    // exists from then on), only that layer, the config and the manifests
    const after = log.filter((r) => r.at > lastEnd);
    for (const l of manifest?.layers.slice(0, -1) ?? [])
      expect(after.filter((r) => r.url.includes(l.digest))).toEqual([]);
    expect(after.some((r) => r.method === 'PUT' && r.url === '/v2/early/app/manifests/v1')).toBe(true);
    expect(after.some((r) => r.method === 'PUT' && r.url === '/v2/early/other/manifests/v1')).toBe(true);
    // both destinations serve the image
    for (const ref of [dest, `${proxy.host}/early/other:v1`]) {
      const pulled = await client.pullImage(ref);
      expect(await pulled.digest()).toBe(outcome.digest);
    }
  });

  it('a failed build leaves no manifest behind (its early uploads stop)', async () => {
    const ctx = await context('failed-push', [
      `FROM ${reg().bases.busybox.ref}`,
      'RUN head -c 2000000 /dev/urandom > /blob',
      'RUN sleep 0.3 && exit 7',
    ]);
    const from = proxy.log.length;
    await expect(
      build({
        context: ctx,
        destinations: [`${proxy.host}/failed/app:v1`],
        push: true,
        registry: client,
        workDir: join(work, 'failed-push-w'),
        snapshotter: 'stat-walk',
      }),
    ).rejects.toBeInstanceOf(BuilderError);
    const log = proxy.log.slice(from);
    expect(log.some((r) => r.url.includes('/v2/failed/app/blobs/'))).toBe(true); // uploads had started
    expect(log.filter((r) => r.url.includes('/manifests/') && r.method === 'PUT')).toEqual([]);
    await expect(client.getManifest(`${reg().host}/failed/app:v1`)).rejects.toBeInstanceOf(RegistryError);
  });

  it('an upload failure surfaces as the registry error and fails the build', async () => {
    const ctx = await context('denied-push', [`FROM ${reg().bases.busybox.ref}`, 'RUN echo x > /x']);
    // a registry that refuses every upload: the early upload fails with the registry's typed error
    const refusing = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/v2/') {
        res.writeHead(200).end('{}');
        return;
      }
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"DENIED","message":"no uploads here"}]}');
    });
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(refusing.address() as AddressInfo).port}`;
    const c = new RegistryClient({ insecureRegistries: [reg().host, host], retry: { maxAttempts: 1 } });
    try {
      const err = await build({
        context: ctx,
        destinations: [`${host}/denied/app:v1`],
        push: true,
        skipPushPermissionCheck: true,
        registry: c,
        workDir: join(work, 'denied-w'),
        snapshotter: 'stat-walk',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe('DENIED');
    } finally {
      await c.close();
      await new Promise((r) => refusing.close(r));
    }
  });
});

describe('compression and cache flags', () => {
  it('--compression-level changes the layer size (level 1 larger than 9 on compressible data)', async () => {
    const ctx = await context('level', [
      `FROM ${reg().bases.busybox.ref}`,
      'RUN seq 1 900000 > /numbers && seq 900000 -1 1 >> /numbers',
    ]);
    const sizes: Record<number, number> = {};
    for (const level of [1, 9]) {
      const outcome = await build({
        context: ctx,
        destinations: [],
        push: false,
        registry: client,
        compressionLevel: level,
        reproducible: true,
        workDir: join(work, `level-${level}`),
        snapshotter: 'stat-walk',
      });
      const layers = (await outcome.image?.manifest())?.layers ?? [];
      sizes[level] = layers.at(-1)?.size ?? 0;
    }
    expect(sizes[1]).toBeGreaterThan(0);
    expect(sizes[9]).toBeLessThan(sizes[1] as number);
    await expect(
      build({ context: ctx, destinations: [], push: false, registry: client, compressionLevel: 10 }),
    ).rejects.toThrow(/compression-level: 10 is not a gzip level/);
  });

  it('--no-push-cache reads the cache repository but pushes nothing to it', async () => {
    const ctx = await context('no-push-cache', [
      `FROM ${reg().bases.busybox.ref}`,
      'COPY Dockerfile /df',
      'RUN echo cached > /c',
    ]);
    const cacheRepo = `${reg().host}/npc/cache`;
    const once = (name: string, noPushCache: boolean) =>
      build({
        context: ctx,
        destinations: [`${reg().host}/npc/app:${name}`],
        push: true,
        registry: client,
        cache: true,
        cacheRepo,
        noPushCache,
        workDir: join(work, `npc-${name}`),
        snapshotter: 'stat-walk',
      });
    const tags = () => client.listTags(cacheRepo).catch(() => [] as string[]);
    await once('a', true);
    expect(await tags()).toEqual([]);
    await once('b', false); // the control: the same build with pushing allowed fills the cache
    const filled = await tags();
    expect(filled.length).toBeGreaterThanOrEqual(2);
    // read-only use still hits (no RUN output would mean a miss re-ran it; the digests agree)
    const info: string[] = [];
    const c = await build({
      context: ctx,
      destinations: [`${reg().host}/npc/app:c`],
      push: true,
      registry: client,
      cache: true,
      cacheRepo,
      noPushCache: true,
      workDir: join(work, 'npc-c'),
      snapshotter: 'stat-walk',
      events: { info: (m) => info.push(m) },
    });
    expect(c.digest).toBeDefined();
    expect(info.some((m) => /"hits":2/.test(m))).toBe(true);
    expect((await tags()).sort()).toEqual([...filled].sort());
  });
});

// kaniko-ts vs `buildah bud --layers` on the six Dockerfiles of TESTING.md's "Measured peers" table,
// measured in the same run on the same machine, both pushing to the same loopback registry.
//
// kaniko-ts runs as users run it: the CLI bundled once at bench start (scripts/gen-bundles.mjs --cli),
// `node <bundle> build …` per build.
// COLD: kaniko-ts in a fresh node process with a fresh work dir; buildah with a fresh, empty storage
// root (so it pulls and unpacks the base as kaniko-ts does); each run pushes to a repository that has
// never held the image (the bases sit in the same registry, so either tool may cross-repo mount them).
// WARM: buildah rebuilds with the storage of its last cold run (its --layers cache hits) and pushes
// again to one warm repository; kaniko-ts rebuilds with its layer cache on (--cache-dir, primed by
// one unmeasured build) and pushes to its warm repository.
// FLOOR (warm rows): build/push-floor.mjs, a node process that only sends the requests of kaniko-ts's
// warm push with undici (bundled and compile-cached like the CLI), pushing the image kaniko-ts pushed
// again: what node, undici and the registry cost before any of kaniko-ts's own work.
// Each tool runs as a whole process (kaniko-ts: node start-up and bundle evaluation included; buildah:
// bud + push), alternating which goes first. Scratch dirs (kaniko-ts work dir, buildah storage) live on
// BENCH_SCRATCH (default /dev/shm, tmpfs, as in TESTING.md's measurements).
//
// BENCH_RUNS (default 3) runs per cell; BENCH_ROWS=copy,metadata,… picks rows; BENCH_WARM=0 skips warm;
// BENCH_UPLINK_MIBS=60 pushes through a proxy that limits uploads to 60 MiB/s (a CI runner's uplink to
// a remote registry; base images are still read from the registry directly).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleKaniko, runKanikoCli as runKaniko } from './build/kaniko-cli.mjs';
import { bundlePushFloor, pushFloorInput, runPushFloor } from './build/push-floor-runner.mjs';
import { formatReport } from './build/report.mjs';
import { PUBLISHED, ROWS } from './build/rows.mjs';
import { buildahStorage, pushedImageSummary, runBuildah } from './build/runners.mjs';
import { startBenchEnvironment } from './lib/bench-environment.mjs';
import { summarize } from './lib/measure.mjs';
import { startThrottleProxy } from './lib/throttle-proxy.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARM = process.env.BENCH_WARM !== '0';
const pick = process.env.BENCH_ROWS?.split(',').filter(Boolean);
const rows = ROWS.filter((r) => !pick || pick.includes(r.id));
const scratchBase = process.env.BENCH_SCRATCH ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

if (process.getuid?.() !== 0)
  throw new Error('build-peers bench: needs root (kaniko-ts RUN isolation and buildah storage)');
const env = await startBenchEnvironment();
const scratch = await mkdtemp(join(scratchBase, 'kaniko-ts-build-bench-'));
const host = env.registry.host;
const uplink = process.env.BENCH_UPLINK_MIBS ? Number(process.env.BENCH_UPLINK_MIBS) : undefined;
const proxy = uplink ? await startThrottleProxy(host, uplink) : undefined;
// where both tools push: the registry, or the proxy in front of it
const pushHost = proxy?.host ?? host;
const load = [loadavg()[0]];
const results = [];
try {
  const kaniko = { ...(await bundleKaniko(scratch)), pushHost };
  const floorBundle = WARM ? await bundlePushFloor(scratch) : undefined;
  console.log(
    `kaniko-ts from ${kaniko.flavour}; scratch ${scratch}; n=${RUNS} per cell; load average ${load[0].toFixed(1)} on 2 cores`,
  );
  // one unmeasured build per tool first: binaries, node modules and registry blobs into the page cache
  {
    const ctx = join(scratch, 'warmup');
    await ROWS.find((r) => r.id === 'metadata').prepare(ctx);
    await runKaniko({
      ...kaniko,
      scratch,
      context: ctx,
      destination: `${pushHost}/bench/warmup:k`,
      registryHost: host,
    });
    const storage = await buildahStorage(scratch, env.containersEnv);
    await runBuildah({
      storage,
      env: env.containersEnv,
      context: ctx,
      destination: `${pushHost}/bench/warmup:b`,
      registryHost: host,
      tag: 'localhost/bench-warmup:latest',
    });
    await storage.drop();
  }

  const failed = [];
  for (const row of rows) {
    try {
      const context = join(scratch, `ctx-${row.id}`);
      await row.prepare(context);
      const tag = `localhost/bench-${row.id}:latest`;
      const cell = { kanikoCold: [], buildahCold: [], kanikoWarm: [], buildahWarm: [], floorWarm: [] };
      let warmStorage;
      const lastCold = {};
      process.stdout.write(`\n${row.title}: cold`);
      for (let i = 0; i < RUNS; i++) {
        for (const who of i % 2 ? ['buildah', 'kaniko'] : ['kaniko', 'buildah']) {
          const destination = `${pushHost}/bench/${row.id}-${who}-cold-${i}:latest`;
          if (who === 'kaniko') {
            cell.kanikoCold.push(
              await runKaniko({ ...kaniko, scratch, context, destination, registryHost: host }),
            );
          } else {
            const storage = await buildahStorage(scratch, env.containersEnv);
            cell.buildahCold.push(
              await runBuildah({
                storage,
                env: env.containersEnv,
                context,
                destination,
                registryHost: host,
                tag,
              }),
            );
            if (warmStorage) await warmStorage.drop();
            warmStorage = storage; // the last cold run's storage is the warm runs' cache
          }
          lastCold[who] = destination;
          process.stdout.write('.');
        }
      }
      // kaniko-ts warm: its layer cache on (--cache-dir), primed by one unmeasured build, as
      // buildah's warm runs use the storage its last cold build left
      const cacheDir = join(scratch, `cache-${row.id}`);
      if (WARM) {
        const prime = `${pushHost}/bench/${row.id}-kaniko-prime:latest`;
        await runKaniko({ ...kaniko, scratch, context, destination: prime, registryHost: host, cacheDir });
        const floor = await pushFloorInput({
          registryUrl: env.registry.url,
          host: pushHost,
          baseHost: host,
          ref: prime,
          context,
        });
        const floorCache = join(cacheDir, 'floor-compile-cache');
        await runPushFloor(floorBundle, floor, floorCache); // primes its compile cache, as the prime build does kaniko-ts's
        process.stdout.write(' warm');
        for (let i = 0; i < RUNS; i++) {
          for (const who of i % 2 ? ['buildah', 'kaniko', 'floor'] : ['floor', 'kaniko', 'buildah']) {
            const destination = `${pushHost}/bench/${row.id}-${who}-warm:latest`;
            if (who === 'floor') {
              cell.floorWarm.push(await runPushFloor(floorBundle, floor, floorCache));
            } else if (who === 'kaniko') {
              cell.kanikoWarm.push(
                await runKaniko({ ...kaniko, scratch, context, destination, registryHost: host, cacheDir }),
              );
            } else {
              cell.buildahWarm.push(
                await runBuildah({
                  storage: warmStorage,
                  env: env.containersEnv,
                  context,
                  destination,
                  registryHost: host,
                  tag,
                }),
              );
            }
            process.stdout.write('.');
          }
        }
      }
      process.stdout.write('\n');
      await warmStorage?.drop();
      await rm(context, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
      results.push({
        row,
        published: PUBLISHED[row.id],
        cells: Object.fromEntries(
          Object.entries(cell).map(([k, ms]) => [
            k,
            ms.length === 0
              ? undefined
              : {
                  ...summarize(ms.map((m) => m.seconds)),
                  peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
                  runs: ms,
                },
          ]),
        ),
        images: {
          kaniko: await pushedImageSummary(env.registry.url, lastCold.kaniko),
          buildah: await pushedImageSummary(env.registry.url, lastCold.buildah),
        },
      });
    } catch (e) {
      // a row that fails is reported and the others still run
      failed.push(`${row.id}: ${e instanceof Error ? e.message : String(e)}`);
      console.log(`\n${row.title}: FAILED: ${failed.at(-1).slice(0, 2000)}`);
    }
  }
  load.push(loadavg()[0]);
  if (results.length > 0) {
    console.log(formatReport(results, { runs: RUNS, warm: WARM, flavour: kaniko.flavour, load, uplink }));
  }
  if (failed.length > 0) {
    console.log(`\nfailed rows:\n${failed.map((f) => `- ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
  await proxy?.stop();
  await env.stop();
}

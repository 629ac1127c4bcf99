// A 2 GiB RUN layer built by kaniko-ts (issue 5: "peak RSS under 300 MB; compression throughput vs
// single-core gzip ≥ 1.7× on 2 cores"), measured in one run:
//  - the layer's content is a file the bench writes into the build context (1 GiB of random bytes
//    and 1 GiB of text, so gzip works on both kinds), copied by `RUN --mount=type=bind … cp`, so the
//    RUN layer is exactly that file and single-core `gzip -6` can be timed on the very same bytes;
//  - kaniko-ts builds it with gzip (the build's parallel gzip pool) and, as the control, with
//    `compression: none`; the RUN instruction's extra time with gzip is what compression cost inside
//    the build (snapshot, tar, hashing and writing are in both);
//  - peak RSS of the whole kaniko-ts process (GNU time: largest process, the RUN's `cp` included).
// No push (the registry's own write speed is not what is measured). BENCH_RUNS (default 3),
// BENCH_BIG_MIB (default 2048), scratch under BENCH_SCRATCH (default /dev/shm, as the other builds).
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileKaniko, runKaniko } from './build/runners.mjs';
import { startBenchEnvironment } from './lib/bench-environment.mjs';
import { printTable, runMeasured, summarize } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MIB = Number(process.env.BENCH_BIG_MIB ?? 2048);
const scratchBase = process.env.BENCH_SCRATCH ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
if (process.getuid?.() !== 0) throw new Error('build-big-layer bench: needs root (RUN isolation)');

/** Half random bytes, half text lines (deterministic), written in 1 MiB pieces. */
async function writeContent(path, mib) {
  const out = createWriteStream(path);
  const write = (b) => (out.write(b) ? undefined : new Promise((r) => out.once('drain', r)));
  const { randomFillSync } = await import('node:crypto');
  const random = Buffer.alloc(1 << 20);
  let line = 0;
  for (let i = 0; i < mib; i++) {
    if (i < mib / 2) {
      randomFillSync(random);
      await write(Buffer.from(random));
    } else {
      let text = '';
      while (text.length < 1 << 20)
        text += `${line++} kaniko-ts layer text, line ${line * 7919} of the bench\n`;
      await write(Buffer.from(text.slice(0, 1 << 20)));
    }
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}

const kaniko = compileKaniko();
const env = await startBenchEnvironment();
const scratch = await mkdtemp(join(scratchBase, 'kaniko-ts-big-bench-'));
const host = env.registry.host;
try {
  const context = join(scratch, 'ctx');
  await mkdir(context);
  await writeContent(join(context, 'big'), MIB);
  await writeFile(
    join(context, 'Dockerfile'),
    [
      'ARG REGISTRY',
      `FROM \${REGISTRY}/base/busybox:latest`,
      'RUN --mount=type=bind,target=/ctx cp /ctx/big /big',
      '',
    ].join('\n'),
  );
  const load = [loadavg()[0]];
  console.log(
    `${MIB} MiB RUN layer; scratch ${scratch}; kaniko-ts from ${kaniko.flavour}; n=${RUNS}; load average ${load[0].toFixed(1)} on 2 cores`,
  );
  const cells = { gzip: [], none: [], single: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const compression of i % 2 ? ['none', 'gzip'] : ['gzip', 'none']) {
      const m = await runKaniko({
        ...kaniko,
        scratch,
        context,
        destination: undefined,
        registryHost: host,
        compression,
      });
      const run = m.report.timings.find((t) => t.text.startsWith('RUN'));
      cells[compression].push({ seconds: m.seconds, runSeconds: run.ms / 1000, peakRssMiB: m.peakRssMiB });
      process.stdout.write('.');
    }
    // single-core gzip -6 on the same bytes (what kaniko does: one compress stream per layer)
    const g = await runMeasured('sh', ['-c', `gzip -6 -c < ${join(context, 'big')} > /dev/null`]);
    cells.single.push({ seconds: g.seconds, peakRssMiB: g.peakRssMiB });
    process.stdout.write('.');
  }
  load.push(loadavg()[0]);
  const med = (xs) => summarize(xs).median;
  const runGzip = med(cells.gzip.map((c) => c.runSeconds));
  const runNone = med(cells.none.map((c) => c.runSeconds));
  const single = med(cells.single.map((c) => c.seconds));
  const compressCost = runGzip - runNone;
  console.log(`\nload average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
  printTable(`${MIB} MiB RUN layer, medians of ${RUNS} (seconds; MiB/s of uncompressed layer)`, [
    {
      what: 'kaniko-ts build, gzip (whole process)',
      seconds: med(cells.gzip.map((c) => c.seconds)).toFixed(2),
      'RUN step': runGzip.toFixed(2),
      'peak RSS MiB': Math.max(...cells.gzip.map((c) => c.peakRssMiB)).toFixed(1),
    },
    {
      what: 'kaniko-ts build, no compression (control)',
      seconds: med(cells.none.map((c) => c.seconds)).toFixed(2),
      'RUN step': runNone.toFixed(2),
      'peak RSS MiB': Math.max(...cells.none.map((c) => c.peakRssMiB)).toFixed(1),
    },
    {
      what: 'gzip -6, one core, same bytes',
      seconds: single.toFixed(2),
      'RUN step': '–',
      'peak RSS MiB': Math.max(...cells.single.map((c) => c.peakRssMiB)).toFixed(1),
    },
  ]);
  console.log(
    `compression inside the build: ${compressCost.toFixed(2)} s extra for ${MIB} MiB = ${(MIB / compressCost).toFixed(0)} MiB/s; ` +
      `single-core gzip -6: ${(MIB / single).toFixed(0)} MiB/s; ratio ${(single / compressCost).toFixed(2)}× ` +
      `(whole gzip RUN step vs gzip alone: ${(single / runGzip).toFixed(2)}×)`,
  );
} finally {
  await rm(scratch, { recursive: true, force: true });
  spawnSync('sync');
  await env.stop();
}

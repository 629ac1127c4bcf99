// Layer compression throughput and memory beside gzip and pigz, measured in the same run: a 2 GiB
// layer-like stream (text-like runs mixed with incompressible ones, like binaries, docs and
// already-compressed files in a real RUN layer) compressed by (a) Node's single-stream zlib gzip -6,
// (b) our block-parallel gzip -6, (c) `pigz -p 2 -6`, (d) `gzip -6`, (e) Node's zstd -3, plus the
// full `layerFromFile` path (parallel gzip + diffID and digest + blob file: the "2 GB RUN layer"
// row). Every case runs in a process of its own (peak RSS from /usr/bin/time); the data is a file
// written once so all of them read the same bytes the same way. Output sizes are counted; decoders
// are checked by the tests, not here. BENCH_RUNS (default 1; runs go round-robin over the cases), BENCH_COMPRESSION_MB (default 2048),
// BENCH_COMPRESSION_CASES=a,b,c (rows by letter).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await main();

/** One compression in a process of its own; prints {bytes, cpuSeconds} for the parent. */
async function child(kind, file, work) {
  const started = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  const count = async (src) => {
    for await (const b of src) bytes += b.byteLength;
  };
  if (kind === 'layer') {
    const { layerFromFile } = await import('@kaniko-ts/oci');
    const layer = await layerFromFile(file, { compression: 'gzip', dir: work });
    bytes = layer.descriptor().size;
    await rm(join(work, `layer-${layer.descriptor().digest.slice(7)}.tar.gz`));
  } else {
    const { createCompressor } = await import('../../packages/oci/src/internal/compression.ts');
    const stages =
      kind === 'zstd'
        ? createCompressor('zstd', 3)
        : createCompressor('gzip', 6, { parallel: kind === 'parallel' });
    await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), ...stages, count);
  }
  const cpu = process.cpuUsage(started);
  // the parent reads this: compression time without node start-up and TypeScript loading
  console.log(
    JSON.stringify({
      bytes,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}

/** 64 MiB of layer-like content: runs of 4–256 KiB, ~60% text-like, ~40% incompressible. */
function sample() {
  const size = 64 * 1024 * 1024;
  const key = createHash('sha256').update('compression bench').digest().subarray(0, 16);
  const rnd = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
  const words = [
    'usr/lib/x86_64-linux-gnu/',
    'libc.so.6',
    ' -> ',
    '#include <stdio.h>\n',
    'def __init__(self):\n        ',
    'return None\n',
    '"version": "1.2.3",\n',
    'Copyright (C) 2024 The Authors. ',
    'ELF\u0002\u0001\u0001\0\0\0\0\0',
    '\0\0\0\0\0\0\0\0',
    'python3.11/site-packages/',
    'Permission is hereby granted, free of charge, ',
  ].map((w) => Buffer.from(w, 'latin1'));
  const out = Buffer.alloc(size);
  let at = 0;
  let r = 0;
  while (at < size) {
    const run = Math.min(size - at, 4096 + (rnd.readUInt32LE(r % (size - 4)) % (252 * 1024)));
    r += 4;
    if (rnd[r % size] % 10 < 4) {
      rnd.copy(out, at, at, at + run);
      at += run;
    } else {
      const end = at + run;
      while (at < end) {
        const w = words[rnd[(at + r) % size] % words.length];
        at += w.copy(out, at, 0, Math.min(w.length, end - at));
        if (rnd[at % size] < 40) out[at - 1] = 0x30 + (rnd[(at * 7) % size] % 10); // a digit: not all runs repeat
      }
    }
  }
  return out;
}

async function main() {
  const { printTable, runMeasured, summarize } = await import('./lib/measure.mjs');
  const runs = Number(process.env.BENCH_RUNS ?? 1);
  const mb = Number(process.env.BENCH_COMPRESSION_MB ?? 2048);
  const hooks = fileURLToPath(new URL('./lib/ts-hooks.mjs', import.meta.url));
  const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const work = await mkdtemp(join(tmpdir(), 'compression-bench-'));
  try {
    const file = join(work, 'layer.tar');
    const block = sample();
    const out = createWriteStream(file);
    await pipeline(
      (function* () {
        for (let i = 0; i < mb; i += 64)
          yield i + 64 <= mb ? block : block.subarray(0, (mb - i) * 1024 * 1024);
      })(),
      out,
    );
    const total = mb * 1024 * 1024;
    const node = (kind) => [process.execPath, ['--import', hooks, self, '--child', kind, file, work]];
    const cases = [
      ['(a) node zlib gzip -6, single stream', ...node('single')],
      ['(b) kaniko-ts parallel gzip -6', ...node('parallel')],
      ['(b+) layerFromFile: parallel gzip + diffID + digest + blob file', ...node('layer')],
      ...(have('pigz') ? [['(c) pigz -p 2 -6', 'sh', ['-c', `pigz -p 2 -6 -c "${file}" | wc -c`]]] : []),
      ...(have('gzip') ? [['(d) gzip -6', 'sh', ['-c', `gzip -6 -c "${file}" | wc -c`]]] : []),
      ['(e) node zlib zstd -3', ...node('zstd')],
    ];
    // BENCH_COMPRESSION_CASES=a,b,c picks rows by their letter
    const pick = process.env.BENCH_COMPRESSION_CASES?.split(',');
    if (pick)
      cases.splice(0, cases.length, ...cases.filter(([n]) => pick.some((p) => n.startsWith(`(${p})`))));
    if (!have('pigz')) console.log('pigz not installed (apt-get install -y pigz): row (c) left out');
    const load = [loadavg()[0].toFixed(1)];
    // runs go round-robin over the cases, so a load that drifts (shared box) hits every case alike
    const samples = cases.map(() => []);
    const last = [];
    for (let i = 0; i < runs; i++) {
      for (const [c, [name, cmd, args]] of cases.entries()) {
        const r = await runMeasured(cmd, args);
        const tail = r.stdout.trim().split('\n').pop();
        samples[c].push(tail.startsWith('{') ? JSON.parse(tail).seconds : r.seconds);
        last[c] = { ...r, parsed: tail.startsWith('{') ? JSON.parse(tail) : { bytes: Number(tail) } };
        load.push(loadavg()[0].toFixed(1));
        console.log(`  ${name}: ${samples[c][i].toFixed(1)} s`);
      }
    }
    const rows = cases.map(([name], c) => ({
      name,
      ...summarize(samples[c]),
      peakRssMiB: last[c].peakRssMiB,
      ...last[c].parsed,
    }));
    const base = rows[0];
    printTable(
      `Compressing ${mb} MiB of layer-like data on ${availableParallelism()} cores (n=${runs}; load average during the run: ${load.join(' → ')})`,
      rows.map((r) => ({
        case: r.name,
        's (median)': r.median.toFixed(1),
        'MB/s': (total / 1e6 / r.median).toFixed(0),
        'speed vs (a)': `${(base.median / r.median).toFixed(2)}×`,
        'compressed MiB': (r.bytes / 1048576).toFixed(0),
        'size vs (a)': `${((r.bytes / base.bytes) * 100).toFixed(2)}%`,
        'CPU s': r.cpuSeconds === undefined ? '' : r.cpuSeconds.toFixed(1),
        'peak RSS MiB': r.peakRssMiB.toFixed(0),
      })),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

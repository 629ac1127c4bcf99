// Peer number for every registry benchmark: `skopeo copy` of the Debian base (≈60 MB gzip) between
// two repositories of a loopback registry. Two cases: the blob really travels (destination is a
// registry that has never seen it), and skopeo can cross-repository mount it (same registry).
import { randomBytes } from 'node:crypto';
import { startRegistry } from '../harness/registry.ts';
import { startBenchEnvironment } from './lib/bench-environment.mjs';
import { printRatioTable, runMeasured, summarize } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const env = await startBenchEnvironment();
try {
  const src = `docker://${env.pushed.debian.ref}`;
  const copy = (dest) =>
    runMeasured(
      'skopeo',
      ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', src, dest],
      {
        env: env.containersEnv,
      },
    );

  // 1. upload: a fresh registry per run, so nothing can be mounted or skipped.
  const upload = [];
  for (let i = 0; i <= RUNS; i++) {
    const dest = await startRegistry({ variant: 'plain' });
    try {
      const m = await copy(`docker://${dest.host}/bench/debian:copy`);
      if (i > 0) upload.push(m); // the first run warms page cache and skopeo itself
    } finally {
      await dest.stop();
    }
  }

  // 2. mount: a new repository in the same registry per run; the blob is already there.
  const mount = [];
  for (let i = 0; i <= RUNS; i++) {
    const m = await copy(`docker://${env.registry.host}/bench/copy-${randomBytes(4).toString('hex')}:latest`);
    if (i > 0) mount.push(m);
  }

  const row = (name, ms) => {
    const s = summarize(ms.map((m) => m.seconds));
    return {
      name,
      seconds: s.median,
      min: s.min,
      max: s.max,
      peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
    };
  };
  printRatioTable(
    `skopeo copy of the Debian base (${(env.bases.debian.layerSize / 1e6).toFixed(0)} MB gzip layer), n=${RUNS}, RSS via ${upload[0].rssSource}`,
    [
      row('skopeo copy to a fresh registry (upload)', upload),
      row('skopeo copy to a new repo (mount)', mount),
    ],
    'skopeo copy to a fresh registry (upload)',
  );
} finally {
  await env.stop();
}

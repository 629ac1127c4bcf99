// Issue 5's snapshot benchmark, run by `npm run bench`: a RUN touching one file on a base of 200,000
// small files, OverlaySnapshotter vs StatWalkSnapshotter in the same run. The benchmark itself belongs
// to the builder package (packages/builder/bench/snapshot.bench.mjs, written with the snapshotters);
// this file only starts it in its own process with the TypeScript hooks, so it is not duplicated.
// BENCH_SNAPSHOT_FILES (default 200000) and BENCH_RUNS (rounds, default 3) tune it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('../../packages/builder/bench/snapshot.bench.mjs', import.meta.url));
const hooks = fileURLToPath(new URL('./lib/ts-hooks.mjs', import.meta.url));
const files = process.env.BENCH_SNAPSHOT_FILES ?? '200000';
const rounds = process.env.BENCH_RUNS ?? '3';
if (process.getuid?.() !== 0) throw new Error('build-snapshot bench: needs root (overlay mounts)');
console.log(`packages/builder/bench/snapshot.bench.mjs ${files} ${rounds}`);
const r = spawnSync(process.execPath, ['--import', hooks, bench, files, rounds], { stdio: 'inherit' });
process.exit(r.status ?? 1);

// `npm run bench [-- FILTER…]`: runs every test/bench/*.bench.{mjs,ts} (or those whose name contains a
// FILTER) one after another, each in its own `node` process with TypeScript type stripping and the
// `@kaniko-ts/*` resolve hooks, so benchmarks use the sources as the tests do. Benchmarks print their own
// tables; this runner only reports which ones failed. A benchmark is never a pass/fail timing test.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const hooks = fileURLToPath(new URL('./lib/ts-hooks.mjs', import.meta.url));
const args = process.argv.slice(2);
const list = args.includes('--list');
const filters = args.filter((a) => !a.startsWith('--'));

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`bench: needs Node 24 (type stripping, module.registerHooks); this is ${process.version}.`);
  console.error(
    'bench: run it through npm (`npm run bench`), which puts node_modules/.bin/node first on PATH.',
  );
  process.exit(2);
}

const files = readdirSync(dir)
  .filter((f) => /\.bench\.(mjs|ts)$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no benchmark matches ${filters.join(', ') || '*.bench.{mjs,ts}'} in ${dir}`);
  process.exit(1);
}
if (list) {
  for (const f of files) console.log(f);
  process.exit(0);
}

const failed = [];
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', hooks, `${dir}${file}`], { stdio: 'inherit' });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(file);
    console.log(`=== ${file}: FAILED (exit ${r.status ?? r.signal}) after ${secs} s ===`);
  } else {
    console.log(`=== ${file}: done in ${secs} s ===`);
  }
}
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${files.length} benchmark(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}

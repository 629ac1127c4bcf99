// SBOM benchmark: time and peak RSS of cataloguing the Debian minbase root (directory and image layer)
// and a node_modules tree of 1,000 packages. Each case runs in a fresh child process (n runs), so peak
// RSS is the case's own. Needs `npx tsc -b packages/sbom` and the cached Debian base of the e2e tests
// (`npx vitest run --project e2e test/sbom-debian` builds it). Usage: npx node packages/sbom/bench/run.mjs [runs]
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kaniko-ts-test');
const dist = new URL('../dist/index.js', import.meta.url).href;

function debianFixture() {
  const sbom = join(cache, 'sbom');
  const rootDir = existsSync(sbom) && readdirSync(sbom).find((d) => d.startsWith('debian-root-'));
  const images = join(cache, 'images');
  const layout = existsSync(images) && readdirSync(images).find((d) => d.startsWith('debian_'));
  if (!rootDir || !layout)
    throw new Error('bench: run the sbom e2e tests once to build the Debian base cache');
  const meta = JSON.parse(readFileSync(join(images, layout, 'kaniko-ts-base.json'), 'utf8'));
  const blob = (d) => join(images, layout, 'blobs/sha256', d.slice(7));
  const manifest = JSON.parse(readFileSync(blob(meta.manifestDigest), 'utf8'));
  return {
    root: join(sbom, rootDir, 'rootfs'),
    layerBlob: blob(manifest.layers[0].digest),
    diffId: meta.diffId,
  };
}

function nodeModulesFixture(count) {
  const dir = join(tmpdir(), `kaniko-ts-sbom-bench-nm-${count}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  for (let i = 0; i < count; i++) {
    const scoped = i % 5 === 0;
    const name = scoped ? `@scope${i % 7}/pkg-${i}` : `pkg-${i}`;
    const nested =
      i % 3 === 0 && i > 0 ? `node_modules/pkg-${i - 1}/node_modules/${name}` : `node_modules/${name}`;
    const pdir = join(dir, 'app', nested);
    mkdirSync(join(pdir, 'lib'), { recursive: true });
    writeFileSync(
      join(pdir, 'package.json'),
      JSON.stringify({ name, version: `1.${i}.0`, license: i % 2 ? 'MIT' : 'Apache-2.0' }),
    );
    writeFileSync(join(pdir, 'lib/index.js'), `module.exports = ${i};\n`);
    writeFileSync(join(pdir, 'README.md'), `# ${name}\n`);
  }
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

async function runCase(name) {
  const { catalogDirectory, catalogLayers, toSpdx, toCycloneDx } = await import(dist);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let inv;
  if (name === 'debian-dir') inv = await catalogDirectory(debianFixture().root);
  else if (name === 'debian-image') {
    const f = debianFixture();
    inv = await catalogLayers(
      [
        {
          diffId: f.diffId,
          open: async () =>
            createReadStream(f.layerBlob, { highWaterMark: 1 << 20 }).pipe(
              createGunzip({ chunkSize: 1 << 20 }),
            ),
        },
      ],
      { source: { name: 'debian' } },
    );
  } else if (name === 'node-modules-1000') inv = await catalogDirectory(nodeModulesFixture(1000));
  const catalogMs = performance.now() - started;
  toSpdx(inv, { created: '2025-01-01T00:00:00Z' });
  toCycloneDx(inv, { created: '2025-01-01T00:00:00Z' });
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    JSON.stringify({
      name,
      packages: inv.packages.length,
      catalogMs,
      totalMs,
      cpuMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

if (process.argv[2] === '--case') {
  await runCase(process.argv[3]);
} else {
  const runs = Number(process.argv[2] ?? 5);
  debianFixture();
  nodeModulesFixture(1000);
  console.log(
    '| case | packages | catalog ms (median) | catalog + SPDX + CycloneDX ms (median) | CPU ms, main process (median) | peak RSS MB (max) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const name of ['debian-dir', 'debian-image', 'node-modules-1000']) {
    const results = [];
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--case', name], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`bench case ${name} failed: ${r.stderr}`);
      results.push(JSON.parse(r.stdout));
    }
    const median = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
    console.log(
      `| ${name} | ${results[0].packages} | ${median('catalogMs').toFixed(0)} | ${median('totalMs').toFixed(0)} | ${median('cpuMs').toFixed(0)} | ${Math.max(...results.map((r) => r.maxRssMB)).toFixed(0)} |`,
    );
  }
}

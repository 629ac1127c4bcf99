// Registry client throughput and memory beside `skopeo copy` of the same content, measured in the
// same run: push (OCI layout → fresh registry) and pull (registry → OCI layout) of the Debian base
// and of one 500 MB random-data layer. Each transfer runs in its own process (ours: node with the
// TypeScript hooks; peer: skopeo) so wall time and peak RSS are comparable; every push goes to a
// registry that has never seen the blobs. Peak RSS that does not grow with the layer size shows
// the client streams. BENCH_RUNS (default 3) and BENCH_RANDOM_MB (default 500) tune it.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}

/** One transfer with our client, in a process of its own. */
async function child(op, from, to) {
  const { readLayout, writeLayout } = await import('@kaniko-ts/oci');
  const { RegistryClient } = await import('@kaniko-ts/registry');
  const client = new RegistryClient({ insecureRegistries: ['*'] });
  const started = performance.now();
  try {
    if (op === 'push') {
      const image = await (await readLayout(from)).image({ tag: 'latest' });
      await client.pushImage(to, image);
    } else {
      await writeLayout(to, await client.pullImage(from), { tag: 'latest' });
    }
    // the parent reads this: transfer time without node start-up and TypeScript loading
    console.log(JSON.stringify({ transferSeconds: (performance.now() - started) / 1000 }));
  } finally {
    await client.close();
  }
}

async function main() {
  const { startRegistry } = await import('../harness/registry.ts');
  const { startBenchEnvironment } = await import('./lib/bench-environment.mjs');
  const { printRatioTable, runMeasured, summarize } = await import('./lib/measure.mjs');
  const { writeLayout, imageFromParts, layerFromBlob, MediaType, sha256, serializeManifest } = await import(
    '@kaniko-ts/oci'
  );
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  // skopeo would otherwise gzip uncompressed layers on the way: both sides move the same bytes
  const sameBytes = ['--preserve-digests', '--dest-oci-accept-uncompressed-layers'];
  const randomMb = Number(process.env.BENCH_RANDOM_MB ?? 500);
  const hooks = fileURLToPath(new URL('./lib/ts-hooks.mjs', import.meta.url));
  // Our side runs the compiled packages (what ships), not TypeScript sources through the loader
  // hooks, which would add ~1 s of type stripping to every run. Falls back to sources if the build fails.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const built = spawnSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/registry'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const childArgs = built.status === 0 ? [] : ['--import', hooks];
  const flavour = built.status === 0 ? 'compiled dist' : 'TypeScript sources (build failed)';
  const env = await startBenchEnvironment();
  const work = await mkdtemp(join(tmpdir(), 'registry-bench-'));
  try {
    // the random-data image: one uncompressed tar layer, written once as an OCI layout
    const tarFile = join(work, 'random.tar');
    const size = randomMb * 1024 * 1024;
    const tarDigest = await writeRandomTar(tarFile, size);
    const tarSize = (await stat(tarFile)).size;
    const config = serializeManifest({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [tarDigest] },
    });
    const layerDescriptor = { mediaType: MediaType.ociLayer, digest: tarDigest, size: tarSize };
    const randomImage = imageFromParts({
      manifest: {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: [layerDescriptor],
      },
      rawConfig: config,
      layers: [layerFromBlob({ descriptor: layerDescriptor, open: async () => createReadStream(tarFile) })],
    });
    const randomLayout = join(work, 'random-layout');
    await writeLayout(randomLayout, randomImage, { tag: 'latest' });
    await rm(tarFile);
    const randomRef = `${env.registry.host}/bench/random:latest`;
    await runMeasured(
      'skopeo',
      [
        'copy',
        '--quiet',
        ...sameBytes,
        '--dest-tls-verify=false',
        `oci:${randomLayout}:latest`,
        `docker://${randomRef}`,
      ],
      {
        env: env.containersEnv,
      },
    );

    const datasets = [
      {
        name: 'debian',
        layout: env.bases.debian.dir,
        ref: env.pushed.debian.ref,
        mb: env.bases.debian.layerSize / 1e6,
      },
      { name: `random ${randomMb} MiB`, layout: randomLayout, ref: randomRef, mb: tarSize / 1e6 },
    ];
    const ours = (op, from, to) =>
      runMeasured(process.execPath, [...childArgs, self, '--child', op, from, to]);
    const skopeo = (from, to) =>
      runMeasured(
        'skopeo',
        ['copy', '--quiet', ...sameBytes, '--src-tls-verify=false', '--dest-tls-verify=false', from, to],
        {
          env: env.containersEnv,
        },
      );
    for (const data of datasets) {
      const samples = { 'kaniko-ts push': [], 'skopeo push': [], 'kaniko-ts pull': [], 'skopeo pull': [] };
      for (let i = 0; i <= runs; i++) {
        // pushes: a fresh registry each, alternating who goes first
        for (const who of i % 2 ? ['skopeo', 'kaniko-ts'] : ['kaniko-ts', 'skopeo']) {
          const dest = await startRegistry({ variant: 'plain' });
          try {
            const target = `${dest.host}/bench/${who}:latest`;
            const m =
              who === 'skopeo'
                ? await skopeo(`oci:${data.layout}:latest`, `docker://${target}`)
                : await ours('push', data.layout, target);
            if (i > 0) samples[`${who} push`].push(m);
          } finally {
            await dest.stop();
          }
        }
        for (const who of i % 2 ? ['skopeo', 'kaniko-ts'] : ['kaniko-ts', 'skopeo']) {
          const out = join(work, `pull-${who}-${i}`);
          const m =
            who === 'skopeo'
              ? await skopeo(`docker://${data.ref}`, `oci:${out}:latest`)
              : await ours('pull', data.ref, out);
          if (i > 0) samples[`${who} pull`].push(m);
          await rm(out, { recursive: true, force: true });
        }
      }
      for (const op of ['push', 'pull']) {
        samples[`kaniko-ts ${op}, transfer only`] = samples[`kaniko-ts ${op}`].map((m) => ({
          seconds: JSON.parse(m.stdout.trim().split('\n').pop()).transferSeconds,
          peakRssMiB: m.peakRssMiB,
        }));
      }
      const rows = Object.entries(samples).map(([name, ms]) => {
        const s = summarize(ms.map((m) => m.seconds));
        return {
          name: `${name} (${(data.mb / s.median).toFixed(0)} MB/s)`,
          seconds: s.median,
          min: s.min,
          max: s.max,
          peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
        };
      });
      printRatioTable(
        `${data.name}: ${data.mb.toFixed(0)} MB of layer data, loopback registry, n=${runs}, kaniko-ts from ${flavour}, RSS via ${samples['skopeo push'][0].rssSource}`,
        rows,
        rows.find((r) => r.name.startsWith('skopeo push')).name,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    await env.stop();
  }
}

/** Writes a tar holding one file of `size` random bytes; returns the tar's sha256 digest. */
async function writeRandomTar(file, size) {
  const header = Buffer.alloc(512);
  header.write('random.bin', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('14000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const write = (chunk) =>
    new Promise((resolve, reject) => {
      hash.update(chunk);
      out.write(chunk, (e) => (e ? reject(e) : resolve()));
    });
  await write(header);
  for (let left = size; left > 0; left -= 1 << 20) await write(randomBytes(Math.min(left, 1 << 20)));
  await write(Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  return `sha256:${hash.digest('hex')}`;
}

// How each tool is run by the build benches: buildah `bud --layers` + `push` against a storage root of
// the bench's own, and kaniko-ts through its library API in a node process of its own (`runKaniko`,
// for build-big-layer.bench.mjs, which needs `compression: 'none'`, an option the CLI does not offer).
// build-peers.bench.mjs runs kaniko-ts as users do, through the bundled CLI: see kaniko-cli.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildahBudArgs } from '../../harness/buildah-bud-args.ts';
import { runMeasured } from '../lib/measure.mjs';

const kanikoChild = fileURLToPath(new URL('./kaniko-build.mjs', import.meta.url));
const hooks = fileURLToPath(new URL('../lib/ts-hooks.mjs', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Compiles the builder and what it imports (`tsc -b`), so kaniko-ts runs as it ships (plain JS from
 * dist) and its start-up is not inflated by type stripping. When the compile fails (sources being
 * edited), the dist of the last successful compile is used and said so; without any dist, the
 * TypeScript sources through the bench's resolve hooks (which cannot strip every construct).
 * @returns {{ nodeArgs: string[], flavour: string }}
 */
export function compileKaniko() {
  const r = spawnSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-b', 'packages/builder'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (r.status === 0) return { nodeArgs: [], flavour: 'compiled dist' };
  if (existsSync(`${root}packages/builder/dist/index.js`)) {
    return { nodeArgs: [], flavour: 'dist of an earlier compile (tsc -b failed now: see above)' };
  }
  return { nodeArgs: ['--import', hooks], flavour: 'TypeScript sources (tsc -b failed, no dist)' };
}

/**
 * One kaniko-ts build + push in a fresh node process with a fresh work dir under `scratch`.
 * @returns {Promise<{ seconds: number, peakRssMiB: number, report: any }>}
 */
export async function runKaniko({ nodeArgs, scratch, context, destination, registryHost, ...extra }) {
  const workDir = await mkdtemp(join(scratch, 'kaniko-work-'));
  try {
    const m = await runMeasured(process.execPath, [
      ...nodeArgs,
      kanikoChild,
      JSON.stringify({
        context,
        destination,
        registryHost,
        buildArgs: { REGISTRY: registryHost },
        workDir,
        ...extra, // cacheDir, compression, maxConcurrentStages
      }),
    ]);
    const report = JSON.parse(m.stdout.trim().split('\n').pop());
    return { seconds: m.seconds, peakRssMiB: m.peakRssMiB, report };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A buildah storage root of the bench's own (graph root + run root) under `scratch`. */
export async function buildahStorage(scratch, env) {
  const dir = await mkdtemp(join(scratch, 'buildah-storage-'));
  const flags = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
  return {
    flags,
    /** Removes every image and container, then the directory. */
    async drop() {
      spawnSync('buildah', [...flags, 'rm', '--all'], { env, stdio: 'ignore' });
      spawnSync('buildah', [...flags, 'rmi', '--all', '--force'], { env, stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `buildah bud --layers` then `buildah push` of the result: wall time of both processes together,
 * the push's share, and the larger peak RSS of the two.
 */
export async function runBuildah({ storage, env, context, destination, registryHost, tag }) {
  const bud = await runMeasured(
    'buildah',
    [...storage.flags, 'bud', '--layers', '--quiet', ...buildahBudArgs({ tag, registryHost }), '.'],
    { env, cwd: context },
  );
  const push = await runMeasured(
    'buildah',
    [...storage.flags, 'push', '--quiet', '--tls-verify=false', tag, `docker://${destination}`],
    { env },
  );
  return {
    seconds: bud.seconds + push.seconds,
    budSeconds: bud.seconds,
    pushSeconds: push.seconds,
    peakRssMiB: Math.max(bud.peakRssMiB, push.peakRssMiB),
  };
}

/** Layer count and compressed size of a pushed image, read back from the registry. */
export async function pushedImageSummary(registryUrl, ref) {
  const [repo, tag] = ref.replace(/^[^/]+\//, '').split(':');
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, {
    headers: {
      accept: [
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json',
      ].join(', '),
    },
  });
  if (!res.ok) throw new Error(`reading manifest of ${ref}: ${res.status}`);
  const m = await res.json();
  return {
    layers: m.layers.length,
    mb: m.layers.reduce((n, l) => n + l.size, 0) / 1e6,
    mediaType: m.mediaType ?? '',
  };
}

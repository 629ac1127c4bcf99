// Runs push-floor.mjs (the least a node + undici process can do for a warm build's registry traffic)
// for build-peers.bench.mjs: bundles it as the CLI is bundled, builds its input from an image kaniko-ts
// pushed, and measures it as a whole process like the builds beside it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { runMeasured } from '../lib/measure.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles push-floor.mjs (and the undici files it loads) into one minified ESM file under `scratch`. */
export async function bundlePushFloor(scratch) {
  const outfile = join(scratch, 'push-floor.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [fileURLToPath(new URL('./push-floor.mjs', import.meta.url))],
    nodePaths: [join(root, 'node_modules')],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    outfile,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __floorRequire } from 'node:module'; const require = __floorRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** The base images a row's Dockerfile names (`FROM ${REGISTRY}/repo:tag`), as `repo:tag`. */
export function basesOf(dockerfile) {
  const bases = [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?\$\{REGISTRY\}\/(\S+)/gim)].map(
    (m) => m[1],
  );
  return [...new Set(bases)];
}

/**
 * push-floor.mjs's input: the manifest and config of `ref` (an image kaniko-ts pushed, read back
 * unmeasured), pushed again to the same repository under the tag `floor`, so every layer HEAD finds
 * its blob as on kaniko-ts's warm push.
 */
export async function pushFloorInput({ registryUrl, host, baseHost, ref, context }) {
  const [repo, tag] = ref.replace(/^[^/]+\//, '').split(':');
  const accept =
    'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { headers: { accept } });
  if (!res.ok) throw new Error(`push floor: reading manifest of ${ref}: ${res.status}`);
  const manifest = Buffer.from(await res.arrayBuffer());
  const parsed = JSON.parse(manifest.toString());
  const cfg = await fetch(`${registryUrl}/v2/${repo}/blobs/${parsed.config.digest}`);
  if (!cfg.ok) throw new Error(`push floor: reading config of ${ref}: ${cfg.status}`);
  return {
    host,
    baseHost,
    repo,
    tag: 'floor',
    bases: basesOf(await readFile(join(context, 'Dockerfile'), 'utf8')),
    config: Buffer.from(await cfg.arrayBuffer()).toString('base64'),
    manifest: manifest.toString('base64'),
    manifestType: parsed.mediaType ?? res.headers.get('content-type'),
  };
}

/**
 * One push-floor process: wall seconds and peak RSS, measured like the builds. node's compile cache is
 * on from the start (NODE_COMPILE_CACHE, so the bundle itself is cached too), in `compileCache`, as
 * kaniko-ts's warm builds keep theirs in the --cache-dir.
 */
export async function runPushFloor(bundle, input, compileCache) {
  const m = await runMeasured(process.execPath, [bundle, JSON.stringify(input)], {
    env: { ...process.env, NODE_COMPILE_CACHE: compileCache },
  });
  if (!/^\d+ layers$/m.test(m.stdout))
    throw new Error(`push floor printed no summary: ${m.stdout} ${m.stderr}`);
  return { seconds: m.seconds, peakRssMiB: m.peakRssMiB };
}

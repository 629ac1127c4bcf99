// kaniko-ts as users run it: the CLI bundled by scripts/gen-bundles.mjs (`--cli`), one
// `node <bundle> build …` process per build, measured like buildah's processes (wall time, peak RSS).
// Phases come from the CLI's own `--log-format json` lines (each carries a millisecond timestamp and,
// for build progress, an `event` field) and from its `metadata` output.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from '../lib/measure.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Bundles the CLI from the working tree into a directory of its own under `scratch` (the bundle's
 * entry plus whatever files esbuild writes beside it: native addons, chunks).
 * @returns {Promise<{ bundle: string, flavour: string }>}
 */
export async function bundleKaniko(scratch) {
  const dir = await mkdtemp(join(scratch, 'kaniko-cli-'));
  const bundle = join(dir, 'kaniko-ts.mjs');
  const r = spawnSync(process.execPath, [`${root}scripts/gen-bundles.mjs`, '--cli', bundle], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`bundling the CLI failed (exit ${r.status ?? r.signal}, see above)`);
  const js = readdirSync(dir).filter((f) => f.endsWith('.mjs') || f.endsWith('.js'));
  const kib = js.reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 1024;
  const entryKib = statSync(bundle).size / 1024;
  return {
    bundle,
    flavour: `the bundled CLI (gen-bundles.mjs --cli from the working tree: entry ${entryKib.toFixed(0)} KiB, ${js.length} JS file(s), ${kib.toFixed(0)} KiB in all)`,
  };
}

/**
 * One `kaniko-ts build` + push: `node <bundle> build` with a fresh TMPDIR under `scratch` (the CLI's
 * temp dir and the builder's work dir both live there; removed afterwards).
 * @returns {Promise<{ seconds: number, peakRssMiB: number, report: ReturnType<typeof parseCliRun> }>}
 */
export async function runKanikoCli({
  bundle,
  scratch,
  context,
  destination,
  registryHost,
  pushHost,
  cacheDir,
  compression,
}) {
  const tmp = await mkdtemp(join(scratch, 'kaniko-work-'));
  const args = [
    bundle,
    'build',
    '--context',
    context,
    '--destination',
    destination,
    '--build-arg',
    `REGISTRY=${registryHost}`,
    '--insecure-registry',
    registryHost,
    '--log-format',
    'json',
  ];
  if (pushHost && pushHost !== registryHost) args.push('--insecure-registry', pushHost);
  if (cacheDir) args.push('--cache', '--cache-dir', cacheDir);
  if (compression) args.push('--compression', compression);
  try {
    const spawnedAt = Date.now();
    const m = await runMeasured(process.execPath, args, { env: { ...process.env, TMPDIR: tmp } });
    return {
      seconds: m.seconds,
      peakRssMiB: m.peakRssMiB,
      report: parseCliRun(m.stdout, m.stderr, spawnedAt, spawnedAt + m.seconds * 1000),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Phases of one CLI run from its JSON log lines (stderr) and outputs (stdout):
 * start-up = spawn → first log line (node start, bundle evaluation, argument parsing);
 * setup = first log line → first stage event (permission check, context, base manifests, cache keys);
 * instructions = the instructions' own durations; after = last instruction → process exit (image
 * assembly, push of what is left, exit). Timestamps are milliseconds of the same clock.
 */
export function parseCliRun(stdout, stderr, spawnedAt, exitedAt) {
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const at = (l) => Date.parse(l.time);
  const first = lines.find((l) => l.time);
  const firstStage = lines.find((l) => l.event === 'stage');
  const ends = lines.filter((l) => l.event === 'instruction-end');
  const outputs = JSON.parse(stdout.trim().split('\n').pop()).outputs;
  const metadata = JSON.parse(outputs.metadata);
  return {
    startupMs: first ? at(first) - spawnedAt : undefined,
    setupMs: first && firstStage ? at(firstStage) - at(first) : undefined,
    instructionsMs: metadata.instructions.reduce((n, i) => n + i.durationMs, 0),
    afterInstructionsMs: ends.length ? exitedAt - at(ends.at(-1)) : undefined,
    buildMs: metadata.durationMs,
    digest: outputs.digest,
    size: metadata.size,
    info: lines
      .filter((l) => l.level === 'info' && l.event === undefined && l.msg && !l.msg.startsWith('──'))
      .map((l) => l.msg),
    timings: metadata.instructions.map((i) => ({
      text: i.text,
      ms: Math.round(i.durationMs),
      layer: i.layer,
    })),
    cached: metadata.instructions.filter((i) => i.cached).length,
  };
}

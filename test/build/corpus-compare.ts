import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildah, podmanRun, type RegistryInfo, skopeo } from '../harness/index.js';
import { type CorpusCase, prepareContext } from './corpus-case.js';
import { CONFIG_FIELDS, diffTrees, type FlatImage, normalizeField } from './image-tree.js';

/**
 * How a corpus case's result is judged, shared by the corpus runner (chroot executor, both
 * snapshotters) and the in-place runner: `buildah bud` of the same Dockerfile as the reference, the
 * case's own expectations, and its checks under `podman run`.
 */

/** Builds the case with `buildah bud` (Docker format, no cache) and pushes it to `destination`. */
export async function buildahBuild(
  c: CorpusCase,
  destination: string,
  opts: { registryHost: string; workDir: string },
): Promise<void> {
  const context = join(opts.workDir, `${c.name}-buildah`);
  await prepareContext(c, context);
  const tag = `localhost/corpus-${c.name}:latest`;
  // Docker format: Buildah 1.28 drops SHELL, HEALTHCHECK and ONBUILD from OCI-format configs.
  const args = [
    'bud',
    // no layer cache: the store outlives runs, and a cached step would keep an older config
    '--no-cache',
    '--format',
    'docker',
    '--tls-verify=false',
    '-f',
    'Dockerfile',
    '-t',
    tag,
    '--build-arg',
    `REGISTRY=${opts.registryHost}`,
  ];
  for (const [k, v] of Object.entries(c.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (c.target) args.push('--target', c.target);
  const bud = await buildah([...args, '.'], { cwd: context, timeoutMs: 300_000 });
  if (bud.exitCode !== 0) throw new Error(`buildah bud failed:\n${bud.stderr.slice(-2000)}`);
  const push = await buildah(['push', '--tls-verify=false', tag, `docker://${destination}`]);
  if (push.exitCode !== 0) throw new Error(`buildah push failed:\n${push.stderr}`);
}

/**
 * Buildah's image of the case at `destination`, built unless this run's registry already has it (the
 * corpus runner pushes every case's Buildah image there; the registry lives for one test run).
 */
export async function reuseOrBuildahBuild(
  c: CorpusCase,
  destination: string,
  opts: { registryHost: string; workDir: string; registry: RegistryInfo },
): Promise<'reused' | 'built'> {
  const seen = await skopeo(['inspect', '--tls-verify=false', '--raw', `docker://${destination}`], {
    registry: opts.registry,
  });
  if (seen.exitCode === 0) return 'reused';
  await buildahBuild(c, destination, opts);
  return 'built';
}

/** Same file tree and runtime config as Buildah's image, apart from the case's documented differences. */
export function expectSameAsBuildah(c: CorpusCase, ours: FlatImage, theirs: FlatImage, label: string): void {
  const known = c.buildahDiffers?.paths ?? [];
  expect(diffTrees(ours.tree, theirs.tree, known), `${label}: file tree differs from buildah`).toEqual([]);
  // The known differences must really be there: each path exists in ours and not in Buildah's.
  for (const p of known) {
    expect(ours.tree.has(p) && !theirs.tree.has(p), `${p}: ${c.buildahDiffers?.why}`).toBe(true);
  }
  for (const field of CONFIG_FIELDS) {
    if (c.buildahDiffers?.config?.includes(field)) {
      // the difference must really be there, and the case's own expectation covers the field
      expect(ours.config.config?.[field], `${field}: ${c.buildahDiffers.why}`).not.toEqual(
        theirs.config.config?.[field],
      );
      expect(c.config?.[field], `${c.name} must state the expected ${field}`).toBeDefined();
      continue;
    }
    expect(
      normalizeField(field, ours.config.config?.[field]),
      `${label}: config ${field} differs from buildah`,
    ).toEqual(normalizeField(field, theirs.config.config?.[field]));
  }
}

/** The case's stated config fields, author and layer count. */
export function expectCaseConfig(c: CorpusCase, ours: FlatImage): void {
  for (const [field, value] of Object.entries(c.config ?? {})) {
    expect(normalizeField(field, ours.config.config?.[field]), `config ${field}`).toEqual(
      normalizeField(field, value),
    );
  }
  if (c.author) expect(ours.config.author).toBe(c.author);
  if (c.layers !== undefined) expect(ours.layers).toBe(c.layers);
}

/** Runs the case's checks in `ref` under podman (and in Buildah's image where the check compares). */
export async function runCaseChecks(c: CorpusCase, ref: string, buildahRef: string, label: string) {
  for (const check of c.checks) {
    const run = await podmanRun(ref, check.run, { pull: 'always', timeoutMs: 120_000 });
    expect(run.exitCode, `${label}: podman run ${check.run.join(' ')}: ${run.stderr}`).toBe(0);
    if (check.stdout !== undefined) expect(run.stdout).toBe(check.stdout);
    if (check.stdoutFile) expect(run.stdout).toBe(await readFile(join(c.dir, check.stdoutFile), 'utf8'));
    if (check.compareWithBuildah) {
      expect(c.buildah, 'compareWithBuildah needs a buildah build').toBe(true);
      const theirs = await podmanRun(buildahRef, check.run, { pull: 'always', timeoutMs: 120_000 });
      expect(theirs.exitCode).toBe(0);
      expect(run.stdout).toBe(theirs.stdout);
    }
  }
}

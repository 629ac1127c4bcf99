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
  // the pushed image is what the tests use; the local one would only pile up in the store (each run
  // moves the tag to a new image, leaving the old one unnamed, which slows every podman command)
  await buildah(['rmi', tag]);
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
  const differences = diffTrees(ours.tree, theirs.tree, known)
    .filter((line) => !(line.startsWith(`${SHADOW}: `) && onlyShadowDayAdvanced(ours, theirs)))
    .map((line) => line + contentDifference(line, ours, theirs));
  // The message names every differing path with both sides (type, mode, owner, size, content hash,
  // and for small files the differing lines), so an intermittent failure can be understood from the
  // log alone.
  expect(
    differences,
    `${label}: file tree differs from buildah in ${differences.length} path(s):\n  ${differences.join('\n  ')}\n`,
  ).toEqual([]);
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

const SHADOW = '/etc/shadow';

/**
 * True when the two /etc/shadow files differ only in the "date of last password change" field
 * (the third, in days since the epoch) of some entries, and there by exactly one day, ours being the
 * later. useradd/groupadd stamp that field with the current UTC day (shadow's gettime()), and Buildah's
 * image is always built before ours, so a build that runs across midnight UTC legitimately gets the
 * next day there (three-runs-debian once failed so). Any other byte, any other field, or any other
 * gap still counts as a difference.
 */
export function onlyShadowDayAdvanced(ours: FlatImage, theirs: FlatImage): boolean {
  const a = ours.tree.get(SHADOW);
  const b = theirs.tree.get(SHADOW);
  if (!a?.content || !b?.content) return false;
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  const linesA = a.content.toString('utf8').split('\n');
  const linesB = b.content.toString('utf8').split('\n');
  if (linesA.length !== linesB.length) return false;
  let advanced = 0;
  for (const [i, lineA] of linesA.entries()) {
    const lineB = linesB[i] as string;
    if (lineA === lineB) continue;
    const fa = lineA.split(':');
    const fb = lineB.split(':');
    if (fa.length !== 9 || fb.length !== 9) return false;
    const sameElsewhere = fa.every((f, k) => k === 2 || f === fb[k]);
    if (!sameElsewhere || !/^\d+$/.test(fa[2] as string) || !/^\d+$/.test(fb[2] as string)) return false;
    if (Number(fa[2]) !== Number(fb[2]) + 1) return false;
    advanced++;
  }
  return advanced > 0;
}

/** For a differing small text file: the lines only one side has (empty when not applicable). */
function contentDifference(line: string, ours: FlatImage, theirs: FlatImage): string {
  const path = line.slice(0, line.indexOf(': '));
  const a = ours.tree.get(path)?.content;
  const b = theirs.tree.get(path)?.content;
  if (!a || !b || a.equals(b) || a.includes(0) || b.includes(0)) return '';
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  const onlyA = la.filter((l) => !lb.includes(l)).slice(0, 5);
  const onlyB = lb.filter((l) => !la.includes(l)).slice(0, 5);
  return `\n    lines only in kaniko-ts: ${JSON.stringify(onlyA)}\n    lines only in buildah: ${JSON.stringify(onlyB)}`;
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
    let run = await podmanRun(ref, check.run, { pull: 'always', timeoutMs: 120_000 });
    const expected = check.stdout ?? (check.stdoutFile ? 'file' : '');
    if (run.exitCode === 0 && run.stdout === '' && expected !== '') {
      // podman's lost output (see below; seen again in mv-added-dir in place, exit code 0 and no
      // output at all although its CMD always prints): the same image runs once more
      run = await podmanRun(ref, check.run, { pull: 'always', timeoutMs: 120_000 });
    }
    expect(run.exitCode, `${label}: podman run ${check.run.join(' ')}: ${run.stderr}`).toBe(0);
    if (check.stdout !== undefined) expect(run.stdout).toBe(check.stdout);
    if (check.stdoutFile) expect(run.stdout).toBe(await readFile(join(c.dir, check.stdoutFile), 'utf8'));
    if (check.compareWithBuildah) {
      expect(c.buildah, 'compareWithBuildah needs a buildah build').toBe(true);
      let theirs = await podmanRun(buildahRef, check.run, { pull: 'always', timeoutMs: 120_000 });
      let ours = run;
      if (ours.stdout !== theirs.stdout && (ours.stdout === '' || theirs.stdout === '')) {
        // podman 4.3 lost the whole output of a container that printed and exited at once, with
        // exit code 0, once in a CI run with four cases at a time (copy-from-preserves-ownership:
        // Buildah's `cat /report` came back empty). A lost output is not a result: both sides run
        // again once and must then agree; a side that really prints nothing still fails.
        ours = await podmanRun(ref, check.run, { pull: 'always', timeoutMs: 120_000 });
        theirs = await podmanRun(buildahRef, check.run, { pull: 'always', timeoutMs: 120_000 });
        expect(ours.exitCode).toBe(0);
      }
      expect(theirs.exitCode).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  }
}

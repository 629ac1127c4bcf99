import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusCase, loadCorpus, prepareContext } from './build/corpus-case.js';
import {
  CONFIG_FIELDS,
  diffTrees,
  type FlatImage,
  flattenRemoteImage,
  normalizeField,
} from './build/image-tree.js';
import { buildah, harness, podmanRun } from './harness/index.js';

/**
 * The build correctness corpus (issue 4): every Dockerfile under test/corpus is built by kaniko-ts and
 * pushed to the real test registry; its checks run under `podman run`; and, where Buildah 1.28 can parse
 * it, the result must equal `buildah bud` of the same Dockerfile: same file tree (type, mode, owner,
 * size, content, link target) and same runtime config fields.
 */
const cases = await loadCorpus();
/** Every case is built with both snapshotters and each result compared with the same Buildah image. */
const SNAPSHOTTERS = ['overlay', 'stat-walk'] as const;

describe('build corpus', () => {
  const registry = () => harness().registries.plain;
  let client: RegistryClient;
  let work: string;

  beforeAll(async () => {
    client = new RegistryClient({ insecureRegistries: [registry().host] });
    work = await mkdtemp(join(tmpdir(), 'corpus-'));
  });
  afterAll(async () => {
    await client?.close();
    await rm(work, { recursive: true, force: true });
  });

  async function kanikoBuild(
    c: CorpusCase,
    dockerfile: string,
    destination: string,
    snapshotter: (typeof SNAPSHOTTERS)[number] = 'overlay',
  ) {
    const context = join(work, `${c.name}-${Math.random().toString(36).slice(2)}`);
    await prepareContext(c, context);
    return build({
      context,
      dockerfile,
      destinations: [destination],
      push: true,
      buildArgs: { REGISTRY: registry().host, ...c.buildArgs },
      target: c.target,
      registry: client,
      snapshotter,
    });
  }

  async function buildahBuild(c: CorpusCase, destination: string): Promise<void> {
    const context = join(work, `${c.name}-buildah`);
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
      `REGISTRY=${registry().host}`,
    ];
    for (const [k, v] of Object.entries(c.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
    if (c.target) args.push('--target', c.target);
    const bud = await buildah([...args, '.'], { cwd: context, timeoutMs: 300_000 });
    if (bud.exitCode !== 0) throw new Error(`buildah bud failed:\n${bud.stderr.slice(-2000)}`);
    const push = await buildah(['push', '--tls-verify=false', tag, `docker://${destination}`]);
    if (push.exitCode !== 0) throw new Error(`buildah push failed:\n${push.stderr}`);
  }

  for (const c of cases) {
    it(`${c.name}: ${c.description}`, async () => {
      const host = registry().host;
      for (const pre of c.pre ?? []) await kanikoBuild(c, pre.dockerfile, `${host}/${pre.tag}`);
      let theirs: FlatImage | undefined;
      const buildahRef = `${host}/corpus-buildah/${c.name}:latest`;
      if (c.buildah) {
        await buildahBuild(c, buildahRef);
        theirs = await flattenRemoteImage(buildahRef, registry());
      }
      for (const snapshotter of SNAPSHOTTERS) {
        const ours = `${host}/corpus/${c.name}:${snapshotter}`;
        const result = await kanikoBuild(c, 'Dockerfile', ours, snapshotter);
        expect(result.pushed).toEqual([`${host}/corpus/${c.name}@${result.digest}`]);
        const flat = await flattenRemoteImage(ours, registry());
        if (theirs) {
          const known = c.buildahDiffers?.paths ?? [];
          expect(
            diffTrees(flat.tree, theirs.tree, known),
            `${snapshotter}: file tree differs from buildah`,
          ).toEqual([]);
          // The known differences must really be there: each path exists in ours and not in Buildah's.
          for (const p of known) {
            expect(flat.tree.has(p) && !theirs.tree.has(p), `${p}: ${c.buildahDiffers?.why}`).toBe(true);
          }
          for (const field of CONFIG_FIELDS) {
            if (c.buildahDiffers?.config?.includes(field)) {
              // the difference must really be there, and the case's own expectation covers the field
              expect(flat.config.config?.[field], `${field}: ${c.buildahDiffers.why}`).not.toEqual(
                theirs.config.config?.[field],
              );
              expect(c.config?.[field], `${c.name} must state the expected ${field}`).toBeDefined();
              continue;
            }
            expect(
              normalizeField(field, flat.config.config?.[field]),
              `${snapshotter}: config ${field} differs from buildah`,
            ).toEqual(normalizeField(field, theirs.config.config?.[field]));
          }
        }
        for (const [field, value] of Object.entries(c.config ?? {})) {
          expect(normalizeField(field, flat.config.config?.[field]), `config ${field}`).toEqual(
            normalizeField(field, value),
          );
        }
        if (c.author) expect(flat.config.author).toBe(c.author);
        if (c.layers !== undefined) expect(flat.layers).toBe(c.layers);

        for (const check of c.checks) {
          const run = await podmanRun(ours, check.run, { pull: 'always', timeoutMs: 120_000 });
          expect(run.exitCode, `${snapshotter}: podman run ${check.run.join(' ')}: ${run.stderr}`).toBe(0);
          if (check.stdout !== undefined) expect(run.stdout).toBe(check.stdout);
          if (check.stdoutFile)
            expect(run.stdout).toBe(await readFile(join(c.dir, check.stdoutFile), 'utf8'));
          if (check.compareWithBuildah) {
            expect(c.buildah, 'compareWithBuildah needs a buildah build').toBe(true);
            const ref = await podmanRun(buildahRef, check.run, { pull: 'always', timeoutMs: 120_000 });
            expect(ref.exitCode).toBe(0);
            expect(run.stdout).toBe(ref.stdout);
          }
        }
      }
    }, 600_000);
  }

  it('has at least 40 Dockerfiles', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
});

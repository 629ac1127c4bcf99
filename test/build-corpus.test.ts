import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusCase, loadCorpus, prepareContext } from './build/corpus-case.js';
import {
  expectCaseConfig,
  expectSameAsBuildah,
  reuseOrBuildahBuild,
  runCaseChecks,
} from './build/corpus-compare.js';
import { type FlatImage, flattenRemoteImage } from './build/image-tree.js';
import { harness } from './harness/index.js';

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

  for (const c of cases) {
    it(`${c.name}: ${c.description}`, async () => {
      const host = registry().host;
      for (const pre of c.pre ?? []) await kanikoBuild(c, pre.dockerfile, `${host}/${pre.tag}`);
      let theirs: FlatImage | undefined;
      const buildahRef = `${host}/corpus-buildah/${c.name}:latest`;
      if (c.buildah) {
        // the in-place corpus (test/in-place) may have pushed Buildah's image of this case in this run
        await reuseOrBuildahBuild(c, buildahRef, { registryHost: host, workDir: work, registry: registry() });
        theirs = await flattenRemoteImage(buildahRef, registry());
      }
      for (const snapshotter of SNAPSHOTTERS) {
        const ours = `${host}/corpus/${c.name}:${snapshotter}`;
        const result = await kanikoBuild(c, 'Dockerfile', ours, snapshotter);
        expect(result.pushed).toEqual([`${host}/corpus/${c.name}@${result.digest}`]);
        const flat = await flattenRemoteImage(ours, registry());
        if (theirs) expectSameAsBuildah(c, flat, theirs, snapshotter);
        expectCaseConfig(c, flat);
        await runCaseChecks(c, ours, buildahRef, snapshotter);
      }
    }, 600_000);
  }

  it('has at least 40 Dockerfiles', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
});

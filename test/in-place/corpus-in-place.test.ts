import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusCase, loadCorpus, prepareContext } from '../build/corpus-case.js';
import {
  expectCaseConfig,
  expectSameAsBuildah,
  reuseOrBuildahBuild,
  runCaseChecks,
} from '../build/corpus-compare.js';
import { flattenRemoteImage } from '../build/image-tree.js';
import { buildInPlace, registry, useInPlaceSuite } from './in-place-run.js';

/**
 * The whole correctness corpus built by the in-place (kaniko-mode) executor: the bundled CLI as root
 * in a bwrap root holding node and the bundle only, Docker's default capabilities (sandbox.ts). Each
 * result is judged like the corpus runner judges it: Buildah's file tree and config (reusing the
 * Buildah image the corpus runner pushed to this run's registry, built here when it has not run
 * yet), the case's config expectations, its checks under podman.
 *
 * Cases run CONCURRENCY at a time (each in its own root; the CLI, Buildah, registry and podman
 * waits overlap), which is what fits the whole corpus in the suite's budget on 2 cores.
 */
const CONCURRENCY = 4;

const corpus = await loadCorpus();
/**
 * Every case runs in place (none needs what the in-place mode documents as unsupported). Debian-based
 * cases (5–20 s of CLI time against 1–3 s) start first, so that none of them is left for the end.
 */
const onDebian = (c: CorpusCase) => /\/base\/debian:/.test(readFileSync(join(c.dir, 'Dockerfile'), 'utf8'));
const cases = [...corpus.filter(onDebian), ...corpus.filter((c) => !onDebian(c))];

const suite = useInPlaceSuite('corpus in place');
let client: RegistryClient;
/** Per case: seconds spent in each phase, printed at the end (what the README quotes). */
const phases: Record<string, Record<string, number>> = {};
beforeAll(() => {
  client = new RegistryClient({ insecureRegistries: [registry().host] });
});
afterAll(async () => {
  await client?.close();
  const sum: Record<string, number> = {};
  for (const p of Object.values(phases)) for (const [k, v] of Object.entries(p)) sum[k] = (sum[k] ?? 0) + v;
  if (Object.keys(phases).length > 0)
    console.log(
      `corpus in place: ${Object.keys(phases).length} cases, seconds summed over cases: ${Object.entries(sum)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
});

/** At most `n` bodies at once; the rest wait their turn in call order. */
function limiter(n: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
const limit = limiter(CONCURRENCY);

describe.concurrent('corpus in place', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.description}`, () => limit(() => buildCase(c)), 600_000);
  }
});

describe('corpus in place coverage', () => {
  it('covers every instruction family and both bases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const text = cases.map((c) => readFileSync(join(c.dir, 'Dockerfile'), 'utf8')).join('\n');
    for (const needle of [
      /^USER \d+:\d+/m,
      /^USER [a-z]/m,
      /^ADD /m,
      /^COPY --chown/m,
      /^COPY --from=/m,
      /^WORKDIR /m,
      /<</,
      /^ONBUILD /m,
      /^FROM scratch/m,
      /rm -rf/,
      /base\/debian:/,
      /base\/busybox:/,
    ])
      expect(text).toMatch(needle);
  });
});

async function buildCase(c: CorpusCase) {
  const host = registry().host;
  const work = join(suite.scratch, 'corpus');
  await mkdir(work, { recursive: true });
  const phase: Record<string, number> = {};
  phases[c.name] = phase;
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phase[name] = (now - t) / 1000;
    t = now;
  };
  for (const pre of c.pre ?? []) await preBuild(c, pre.dockerfile, `${host}/${pre.tag}`);
  // the corpus runner's Buildah image of the case when this run already made it
  const buildahRef = `${host}/corpus-buildah/${c.name}:latest`;
  const theirs = c.buildah
    ? await reuseOrBuildahBuild(c, buildahRef, {
        registryHost: host,
        workDir: work,
        registry: registry(),
      }).then(() => flattenRemoteImage(buildahRef, registry()))
    : undefined;
  lap('buildah');
  const context = join(work, `${c.name}-ctx`);
  await prepareContext(c, context);
  const ours = `${host}/inplace/${c.name}:latest`;
  const extra = c.target ? ['--target', c.target] : [];
  for (const [k, v] of Object.entries(c.buildArgs ?? {})) extra.push('--build-arg', `${k}=${v}`);
  const r = await buildInPlace(suite, c.name, context, ours, extra);
  lap('cli');
  expect(r.exitCode, r.log.slice(-4000)).toBe(0);
  // a Dockerfile with a RUN runs it in place; without one, nothing runs in `/` and no executor is
  // chosen at all (the build never probes: see packages/builder build.ts)
  if (/^\s*(ONBUILD\s+)?RUN\b/im.test(readFileSync(join(context, 'Dockerfile'), 'utf8'))) {
    expect(r.log).toMatch(/in-place executor \(kaniko mode\)/);
  } else {
    expect(r.log).not.toMatch(/executor: /);
  }
  const flat = await flattenRemoteImage(ours, registry());
  if (theirs) expectSameAsBuildah(c, flat, theirs, 'in-place');
  expectCaseConfig(c, flat);
  lap('compare');
  await runCaseChecks(c, ours, buildahRef, 'in-place');
  lap('checks');
}

/** Base images of a case (ONBUILD parents) are built the ordinary way. */
async function preBuild(c: CorpusCase, dockerfile: string, destination: string) {
  const context = join(suite.scratch, 'corpus', `${c.name}-pre`);
  await prepareContext(c, context);
  await build({
    context,
    dockerfile,
    destinations: [destination],
    push: true,
    buildArgs: { REGISTRY: registry().host },
    registry: client,
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { harness } from '../harness/index.js';
import { cliInSandbox, type ExecutorTemplate, makeRoot, prepareExecutor } from './sandbox.js';

/**
 * What every in-place test file shares: a scratch directory, the executor template (node and the
 * CLI bundle, see sandbox.ts) and `buildInPlace`, which runs `kaniko-ts build` as root in a fresh
 * bwrap root holding only node and the bundle, with the build context bound at /workspace.
 */
export const registry = () => harness().registries.plain;

export interface InPlaceSuite {
  scratch: string;
  template: ExecutorTemplate;
  /** CLI wall time per build, by name (printed when the file ends). */
  timings: Record<string, number>;
}

/** Registers beforeAll/afterAll for a file; the returned object is filled in by beforeAll. */
export function useInPlaceSuite(label: string): InPlaceSuite {
  const suite = { timings: {} } as InPlaceSuite;
  beforeAll(async () => {
    suite.scratch = await mkdtemp(join(tmpdir(), 'in-place-'));
    suite.template = prepareExecutor(suite.scratch);
  });
  afterAll(async () => {
    if (suite.scratch) await rm(suite.scratch, { recursive: true, force: true });
    const entries = Object.entries(suite.timings);
    const total = entries.reduce((a, [, v]) => a + v, 0);
    if (entries.length > 0)
      console.log(
        `${label}: ${entries.length} in-place builds, ${(total / 1000).toFixed(1)} s of CLI time (${entries
          .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
          .join(', ')})`,
      );
  });
  return suite;
}

export interface InPlaceBuildOptions {
  /** False: no /.dockerenv, so nothing says this is a container. */
  container?: boolean;
  /** Host directory bound at /mnt/volume (a fresh empty one by default). */
  volume?: string;
  roBinds?: Record<string, string>;
}

/** A fresh root with `context` as /workspace; the CLI builds and pushes `destination`. */
export async function buildInPlace(
  suite: InPlaceSuite,
  name: string,
  context: string,
  destination: string,
  extra: string[] = [],
  opts: InPlaceBuildOptions = {},
) {
  const root = join(suite.scratch, `root-${name}-${Math.random().toString(36).slice(2)}`);
  makeRoot(suite.template, root, { container: opts.container });
  const volume = opts.volume ?? (await mkdtemp(join(suite.scratch, 'volume-')));
  const host = registry().host;
  const started = performance.now();
  const r = await cliInSandbox(
    [
      'build',
      '-v',
      'debug',
      '--context',
      '/workspace',
      '--destination',
      destination,
      '--insecure-registry',
      host,
      '--build-arg',
      `REGISTRY=${host}`,
      ...extra,
    ],
    {
      root,
      binds: { [context]: '/workspace', [volume]: '/mnt/volume' },
      ...(opts.roBinds ? { roBinds: opts.roBinds } : {}),
      cwd: '/workspace',
    },
  );
  suite.timings[name] = performance.now() - started;
  return { ...r, root, log: `${r.stdout}\n${r.stderr}` };
}

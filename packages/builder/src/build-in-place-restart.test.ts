import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../../test/harness/index.js';
import type { ExecutorProbe } from './build/prepare-execution.js';
import { type BuildOptions, buildWith } from './build.js';
import type { BuildEvents } from './engine/build-request.js';
import { detectExecutor } from './executor/detect-executor.js';
import { extractLayer } from './rootfs/extract-layer.js';
import { InPlaceRoot } from './rootfs/in-place-root.js';
import { DEFAULT_IGNORED_PATHS } from './snapshot/ignore-list.js';

/**
 * `executor: auto` with a layer cache probes the executor only at the first RUN that misses; when
 * the probe then says "in place", the lazy attempt stops and the build restarts in place from the
 * start. A real in-place build replaces `/`, so the probe here says "in place" with a directory
 * standing for `/` (an `InPlaceRoot` over it, the one the engine builds every stage in, and the
 * chroot executor to run RUN inside that directory): everything else is the production path.
 */

let work: string;
let client: RegistryClient;
const reg = () => harness().registries.plain;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-restart-'));
  client = new RegistryClient({ insecureRegistries: [reg().host] });
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

/** A probe that answers `kind` (in place: in `root`), counting its calls. */
function probeSaying(kind: 'chroot' | 'in-place', root?: string) {
  const calls: string[] = [];
  const probe: ExecutorProbe = async (o) => {
    calls.push(o.executor ?? 'auto');
    const chroot = await detectExecutor();
    if (kind === 'chroot') return { executor: chroot.executor, reason: `${chroot.reason} (test probe)` };
    const ignored = DEFAULT_IGNORED_PATHS.map((p) => `/${p}`);
    const inPlace = new InPlaceRoot({
      root: root as string,
      ignored,
      stagesDir: join(o.workDir, 'in-place', 'stages'),
      extract: (dir, tar, ignore) => extractLayer(dir, tar, ignore ? { ignore } : {}).then(() => undefined),
    });
    return {
      executor: chroot.executor,
      reason: 'in-place executor (test probe: a directory is /)',
      inPlace,
      ignored,
    };
  };
  return { probe, calls };
}

/** Every event, in order, as short strings (`start 0:3`, `end 0:3 cached`, `out ran`, `info …`). */
function recorder() {
  const seen: string[] = [];
  const events: BuildEvents = {
    stage: (e) => seen.push(`stage ${e.index}`),
    instructionStart: (e) => seen.push(`start ${e.stage}:${e.line}`),
    instructionEnd: (e) => seen.push(`end ${e.stage}:${e.line}${e.cached ? ' cached' : ''}`),
    output: (chunk) => seen.push(`out ${chunk.toString().trim()}`),
    warning: (w) => seen.push(`warning ${w.rule}`),
    info: (m) => seen.push(`info ${m}`),
  };
  return { seen, events };
}

async function run(name: string, ctx: string, extra: Partial<BuildOptions>, probe: ExecutorProbe) {
  const { seen, events } = recorder();
  const workDir = join(work, name);
  const outcome = await buildWith(
    {
      context: ctx,
      destinations: [],
      push: false,
      registry: client,
      workDir,
      reproducible: true,
      events,
      ...extra,
    },
    { probe },
  );
  const manifest = await outcome.image?.manifest();
  const config = await outcome.image?.config();
  return {
    workDir,
    seen,
    layers: manifest?.layers.map((l) => l.digest),
    diffIds: config?.rootfs.diff_ids,
    env: config?.config?.Env,
  };
}

async function context(name: string, runLine: string): Promise<string> {
  const ctx = join(work, name);
  await mkdir(ctx, { recursive: true });
  await writeFile(join(ctx, 'f.txt'), 'copied\n');
  // `maxlen` is a lint warning (a legacy ENV form) that both attempts report
  await writeFile(
    join(ctx, 'Dockerfile'),
    [`FROM ${reg().bases.busybox.ref}`, 'COPY f.txt /f.txt', `RUN ${runLine}`, 'ENV A 1', ''].join('\n'),
  );
  return ctx;
}

const steps = (seen: string[]) => seen.filter((s) => /^(stage|start|end) /.test(s));
const warnings = (seen: string[]) => seen.filter((s) => s.startsWith('warning '));
const restarts = (seen: string[]) => seen.filter((s) => s.startsWith('info executor: restarting'));

describe('auto executor with a layer cache', () => {
  it('restarts in place when the probe at the first missed RUN says in place, and shows each step once', async () => {
    const cacheDir = join(work, 'cache-a');
    // the COPY is cached (a build with another RUN stored it), the RUN misses
    const primer = probeSaying('chroot');
    await run(
      'a-prime',
      await context('ctx-a-prime', 'echo other > /other'),
      { cache: true, cacheDir },
      primer.probe,
    );
    const ctx = await context('ctx-a', 'cat /f.txt > /ran && echo ran');
    const root = join(work, 'root-a');
    await mkdir(root);
    const inPlace = probeSaying('in-place', root);
    const restarted = await run('a', ctx, { cache: true, cacheDir }, inPlace.probe);

    // probed once, at the RUN; then built again from the start, in place: the RUN ran in the root
    expect(inPlace.calls).toEqual(['auto']);
    expect(existsSync(join(restarted.workDir, 'build-in-place'))).toBe(true);
    // the lazy attempt had extracted the base to run the RUN in; that copy is gone
    expect(existsSync(join(restarted.workDir, 'build'))).toBe(true);
    expect(existsSync(join(restarted.workDir, 'build', 'rootfs'))).toBe(false);
    expect(await readFile(join(root, 'ran'), 'utf8')).toBe('copied\n');
    expect(restarts(restarted.seen)).toHaveLength(1);

    // the same image a direct in-place build (no cache, no lazy attempt) makes
    const directRoot = join(work, 'root-a-direct');
    await mkdir(directRoot);
    const direct = await run(
      'a-direct',
      ctx,
      { executor: 'in-place' },
      probeSaying('in-place', directRoot).probe,
    );
    expect(restarted.layers).toHaveLength(3);
    expect(restarted.layers).toEqual(direct.layers);
    expect(restarted.diffIds).toEqual(direct.diffIds);
    expect(restarted.env).toEqual(direct.env);

    // each step once, in order; the steps before the restart as the lazy attempt showed them (the
    // COPY a cache hit), the RUN's output once, and the notice between the RUN's start and its output
    // the Dockerfile's warnings once, as a build without a restart reports them
    expect(warnings(restarted.seen)).toContain('warning LegacyKeyValueFormat');
    expect(warnings(restarted.seen)).toEqual(warnings(direct.seen));
    expect(steps(restarted.seen)).toEqual([
      'stage 0',
      'start 0:2',
      'end 0:2 cached',
      'start 0:3',
      'end 0:3',
      'start 0:4',
      'end 0:4',
    ]);
    expect(restarted.seen.filter((s) => s.startsWith('out '))).toEqual(['out ran']);
    const at = (s: string) => restarted.seen.indexOf(s);
    expect(at(restarts(restarted.seen)[0] as string)).toBeGreaterThan(at('start 0:3'));
    expect(at(restarts(restarted.seen)[0] as string)).toBeLessThan(at('out ran'));
  });

  it('does not probe at all when every step is cached', async () => {
    const cacheDir = join(work, 'cache-b');
    const ctx = await context('ctx-b', 'echo ran > /ran');
    const cold = probeSaying('chroot');
    const first = await run('b-cold', ctx, { cache: true, cacheDir }, cold.probe);
    expect(cold.calls).toEqual(['auto']);
    const root = join(work, 'root-b');
    await mkdir(root);
    const warm = probeSaying('in-place', root);
    const second = await run('b-warm', ctx, { cache: true, cacheDir }, warm.probe);
    expect(warm.calls).toEqual([]);
    expect(restarts(second.seen)).toEqual([]);
    expect(second.layers).toEqual(first.layers);
    expect(steps(second.seen).filter((s) => s.startsWith('end '))).toEqual([
      'end 0:2 cached',
      'end 0:3 cached',
      'end 0:4',
    ]);
  });

  it('does not restart when the probe says chroot', async () => {
    const cacheDir = join(work, 'cache-c');
    const ctx = await context('ctx-c', 'echo ran > /ran && echo ran');
    const chroot = probeSaying('chroot');
    const r = await run('c', ctx, { cache: true, cacheDir }, chroot.probe);
    expect(chroot.calls).toEqual(['auto']);
    expect(restarts(r.seen)).toEqual([]);
    expect(existsSync(join(r.workDir, 'build-in-place'))).toBe(false);
    expect(steps(r.seen).filter((s) => s.startsWith('start '))).toEqual([
      'start 0:2',
      'start 0:3',
      'start 0:4',
    ]);
    expect(r.seen.filter((s) => s.startsWith('out '))).toEqual(['out ran']);
    expect(r.layers).toHaveLength(3);
  });
});

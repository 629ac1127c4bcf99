import type { TestProject } from 'vitest/node';
import { ensureBaseImages, ensureRegistrySeed, seededBaseImages, testCacheDir } from './base-images.js';
import { ensureContainersSetup } from './containers-config.js';
import { ensureTools } from './ensure-tools.js';
import type { HarnessInfo, HarnessRegistry } from './harness-info.js';
import { podman } from './podman.js';
import { type RegistryVariant, type RunningRegistry, startRegistry } from './registry.js';

const VARIANTS: readonly RegistryVariant[] = ['plain', 'tls', 'auth'];

/** One harness per process: vitest calls global setup once per project, all of them share it. */
interface Shared {
  users: number;
  ready: Promise<{ info: HarnessInfo; registries: RunningRegistry[] }>;
}
const SHARED = Symbol.for('kaniko-ts.test-harness');
type WithShared = typeof globalThis & { [SHARED]?: Shared };

/**
 * vitest globalSetup: installs missing tools, builds (or reuses) the cached base images, starts the
 * plain, tls and auth registries, pushes the bases to each, and provides `harness` to every test.
 * The returned teardown stops the registries (also if tests failed).
 */
export default async function setup(project: Pick<TestProject, 'provide'>) {
  const g = globalThis as WithShared;
  if (!g[SHARED]) g[SHARED] = { users: 0, ready: startHarness() };
  const shared = g[SHARED];
  shared.users++;
  let info: HarnessInfo;
  try {
    info = (await shared.ready).info;
  } catch (e) {
    shared.users--;
    if (shared.users === 0) delete g[SHARED];
    throw e;
  }
  project.provide('harness', info);
  return async () => {
    shared.users--;
    if (shared.users > 0) return;
    delete g[SHARED];
    const { info, registries } = await shared.ready;
    await removeRunImages(info);
    await Promise.all(registries.map((r) => r.stop()));
  };
}

async function startHarness() {
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t);
    }
  };
  const started = performance.now();
  await timed('ensureTools', () => ensureTools());
  const cacheDir = testCacheDir();
  const containersP = ensureContainersSetup(cacheDir);
  const bases = await timed('baseImages', () => ensureBaseImages({ cacheDir }));
  const seed = await timed('registrySeed', () => ensureRegistrySeed(bases, { cacheDir }));
  const settled = await timed('startRegistries', () =>
    Promise.allSettled(
      VARIANTS.map((variant) => startRegistry({ variant, seedStorageDir: seed.storageDir })),
    ),
  );
  const running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const pushed = running.map((r) => seededBaseImages(r, seed));
    const registries = Object.fromEntries(
      running.map((r, i) => {
        const { pid: _pid, logFile: _log, stop: _stop, ...info } = r;
        return [r.variant, { ...info, bases: pushed[i]! } satisfies HarnessRegistry];
      }),
    ) as Record<RegistryVariant, HarnessRegistry>;
    timings.total = Math.round(performance.now() - started);
    const info: HarnessInfo = {
      registries,
      baseLayouts: bases,
      containersEnv: (await containersP).env,
      cacheDir,
      timings,
    };
    console.log(
      `[harness] ready in ${timings.total} ms: ${running.map((r) => `${r.variant}=${r.url}`).join(' ')} ` +
        `(${Object.entries(timings)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')})`,
    );
    return { info, registries: running };
  } catch (e) {
    await Promise.all(running.map((r) => r.stop()));
    throw e;
  }
}

/**
 * Podman's image store outlives the run (it caches base layers): drop the names of images pulled from
 * this run's registries, whose ports will never come back. Base images stay stored under their id, so
 * the next run's pull of the same base reuses their layers.
 */
async function removeRunImages(info: HarnessInfo) {
  const hosts = Object.values(info.registries).map((r) => `${r.host}/`);
  const list = await podman(['images', '--format', 'json']);
  if (list.exitCode !== 0) return;
  const baseIds = new Set(Object.values(info.baseLayouts).map((b) => b.configDigest.slice(7)));
  const images = JSON.parse(list.stdout || '[]') as { Id: string; Names?: string[] }[];
  const untag: string[] = [];
  const remove: string[] = [];
  for (const image of images) {
    const ours = (image.Names ?? []).filter((n) => hosts.some((h) => n.startsWith(h)));
    if (ours.length === 0) continue;
    if (baseIds.has(image.Id) || ours.length < (image.Names ?? []).length) {
      for (const name of ours) untag.push(image.Id, name);
    } else {
      remove.push(image.Id);
    }
  }
  for (let i = 0; i < untag.length; i += 2) await podman(['untag', untag[i]!, untag[i + 1]!]);
  if (remove.length > 0) await podman(['rmi', '--force', '--ignore', ...remove]);
}

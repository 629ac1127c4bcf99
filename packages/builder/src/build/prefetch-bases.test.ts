import type { Image, Platform } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { prefetchBaseImages } from './prefetch-bases.js';

const amd64: Platform = { os: 'linux', architecture: 'amd64' };
const arm64: Platform = { os: 'linux', architecture: 'arm64' };

/** A pull that records what was asked, and when relative to the other calls. */
function recordingPull(fail: string[] = []) {
  const calls: string[] = [];
  const configs: string[] = [];
  const pull = (ref: string, p: Platform): Promise<Image> => {
    calls.push(`${ref} ${p.architecture}`);
    if (fail.includes(ref)) return Promise.reject(new Error(`no ${ref}`));
    return Promise.resolve({
      config: async () => {
        configs.push(ref);
        return {};
      },
    } as unknown as Image);
  };
  return { pull, calls, configs };
}

const dockerfile = [
  'ARG REG=r.example',
  'FROM $REG/base/a:1 AS a',
  'RUN true',
  'FROM --platform=linux/arm64 $REG/base/b:2 AS b',
  'FROM $REG/base/unused:3 AS unused',
  'FROM a',
  'COPY --from=b /x /x',
  '',
].join('\n');

describe('prefetchBaseImages', () => {
  it('pulls each base image the target needs, with its platform, before the engine asks', async () => {
    const { pull, calls, configs } = recordingPull();
    prefetchBaseImages(dockerfile, { file: 'Dockerfile', buildArgs: {}, platform: amd64 }, pull);
    // stage "unused" is not built, stage 3 is FROM another stage: neither is pulled
    expect(calls.sort()).toEqual(['r.example/base/a:1 amd64', 'r.example/base/b:2 arm64']);
    await new Promise((r) => setTimeout(r, 0));
    expect(configs.sort()).toEqual(['r.example/base/a:1', 'r.example/base/b:2']);
  });

  it('hands the prefetched image to the first matching resolve, and pulls again otherwise', async () => {
    const { pull, calls } = recordingPull();
    const { resolve } = prefetchBaseImages(
      dockerfile,
      { file: 'Dockerfile', buildArgs: { REG: 'other.example' }, platform: amd64 },
      pull,
    );
    expect(calls).toHaveLength(2);
    const first = resolve('other.example/base/a:1', amd64);
    const again = resolve('other.example/base/a:1', amd64);
    const prefetchedArm = resolve('other.example/base/b:2', arm64);
    const otherPlatform = resolve('other.example/base/b:2', amd64);
    expect(first).not.toBe(again);
    await Promise.all([first, again, prefetchedArm, otherPlatform]);
    // the first resolves used the prefetch; the repeat and the platform mismatch pulled
    expect(calls).toEqual([
      'other.example/base/a:1 amd64',
      'other.example/base/b:2 arm64',
      'other.example/base/a:1 amd64',
      'other.example/base/b:2 amd64',
    ]);
  });

  it('leaves a Dockerfile that does not plan to the engine, and a failed pull to the resolve that uses it', async () => {
    const broken = recordingPull();
    const { resolve, runs } = prefetchBaseImages(
      'FROM\n',
      { file: 'Dockerfile', buildArgs: {}, platform: amd64 },
      broken.pull,
    );
    expect(broken.calls).toEqual([]);
    expect(runs).toBe(true); // not planned: assume RUNs
    await expect(resolve('x/y:1', amd64)).resolves.toBeDefined();

    const failing = recordingPull(['r.example/base/a:1']);
    const { resolve: resolveFailing } = prefetchBaseImages(
      'FROM r.example/base/a:1\n',
      { file: 'Dockerfile', buildArgs: {}, platform: amd64 },
      failing.pull,
    );
    await new Promise((r) => setTimeout(r, 0));
    await expect(resolveFailing('r.example/base/a:1', amd64)).rejects.toThrow('no r.example/base/a:1');
    expect(failing.calls).toEqual(['r.example/base/a:1 amd64']);
  });

  it('says whether a stage the build needs has a RUN (a RUN in an unused stage does not count)', () => {
    const { pull } = recordingPull();
    const opts = { file: 'Dockerfile', buildArgs: {}, platform: amd64 };
    expect(prefetchBaseImages(dockerfile, opts, pull).runs).toBe(true);
    const noRun = 'FROM r.example/a:1 AS unused\nRUN true\nFROM r.example/b:1\nCOPY x /x\nENV A=1\n';
    expect(prefetchBaseImages(noRun, opts, pull).runs).toBe(false);
    expect(prefetchBaseImages(noRun, { ...opts, target: 'unused' }, pull).runs).toBe(true);
  });
});

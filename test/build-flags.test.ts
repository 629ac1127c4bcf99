import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { describe, expect, it } from 'vitest';
import { harness, podman, skopeo } from './harness/index.js';
import { usePushingBuildFixture } from './registry/pushing-build-fixture.js';

/** `--annotation`, `--image-format`, `--single-snapshot`, `--snapshot-mode`, checked with skopeo and podman. */
describe('build flags kaniko users pass', () => {
  const reg = () => harness().registries.plain;
  const dockerfile = [
    'ARG REGISTRY',
    'FROM $REGISTRY/base/busybox:latest',
    'RUN mkdir -p /data/sub && echo one > /data/sub/a && echo keep > /data/keep && rm /bin/true',
    'COPY app.txt /data/app.txt',
    'RUN rm -r /data/sub && echo two > /data/b && ln -s /data/b /data/link',
    'RUN mkdir /data/sub && echo three > /data/sub/c',
    'CMD ["sh", "-c", "ls -A /data /data/sub; cat /data/b /data/sub/c; test -e /bin/true || echo no-true"]',
    '',
  ].join('\n');
  const expectedRun = [
    '/data:',
    'app.txt',
    'b',
    'keep',
    'link',
    'sub',
    '',
    '/data/sub:',
    'c',
    'two',
    'three',
    'no-true',
  ];

  const fx = usePushingBuildFixture('flags-', { Dockerfile: dockerfile, 'app.txt': 'app\n' });

  const options = (dest: string) => ({
    context: fx.context,
    buildArgs: { REGISTRY: reg().host },
    registry: fx.client,
    destinations: [dest],
    push: true,
  });
  const inspectRaw = async (ref: string) =>
    JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
  const runLines = async (ref: string) =>
    (await podman(['run', '--rm', '--network=host', '--tls-verify=false', ref])).stdout
      .split('\n')
      .filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));

  it('--annotation lands in the pushed OCI manifest', async () => {
    const dest = `${reg().host}/flags/annotated:1`;
    await build({
      ...options(dest),
      annotations: { 'org.opencontainers.image.source': 'https://example.com/app', 'com.example.k': 'v=1' },
    });
    const manifest = await inspectRaw(dest);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.com/app',
      'com.example.k': 'v=1',
    });
  });

  it('--image-format=docker pushes a Docker schema 2 image that skopeo copies and podman runs', async () => {
    const dest = `${reg().host}/flags/docker:1`;
    const outcome = await build({ ...options(dest), imageFormat: 'docker' });
    const manifest = await inspectRaw(dest);
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(new Set(manifest.layers.map((l: { mediaType: string }) => l.mediaType))).toEqual(
      new Set(['application/vnd.docker.image.rootfs.diff.tar.gzip']),
    );
    expect(outcome.digest).toBe(
      (await skopeo(['inspect', '--tls-verify=false', `docker://${dest}`])).stdout.match(
        /"Digest": "(sha256:[0-9a-f]+)"/,
      )?.[1],
    );
    const copy = join(fx.work, 'docker-copy');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${dest}`, `dir:${copy}`]);
    expect(await runLines(dest)).toEqual(expectedRun);
  });

  it('--image-format=docker with --annotation is refused (schema 2 has no annotations)', async () => {
    await expect(
      build({ ...options(`${reg().host}/flags/refused:1`), imageFormat: 'docker', annotations: { a: 'b' } }),
    ).rejects.toThrow(/annotations/);
  });

  it('--single-snapshot: one layer over the base, same file system (whiteouts applied)', async () => {
    const multi = `${reg().host}/flags/layers:1`;
    const single = `${reg().host}/flags/single:1`;
    const a = await build(options(multi));
    const b = await build({ ...options(single), singleSnapshot: true });
    const baseLayers = (await inspectRaw(`${reg().host}/base/busybox:latest`)).layers.length;
    expect((await inspectRaw(multi)).layers).toHaveLength(baseLayers + 4);
    const squashed = await inspectRaw(single);
    expect(squashed.layers).toHaveLength(baseLayers + 1);
    const config = await b.image?.config();
    expect(config?.rootfs.diff_ids).toHaveLength(baseLayers + 1);
    expect(config?.history?.filter((h) => !h.empty_layer)).toHaveLength(baseLayers + 1);
    expect(config?.history?.at(-1)?.created_by).toBe('kaniko-ts --single-snapshot');
    expect(a.digest).not.toBe(b.digest);
    expect(await runLines(single)).toEqual(await runLines(multi));
    expect(await runLines(single)).toEqual(expectedRun);
  });

  it('--snapshot-mode=time on the stat walk misses a chmod-only RUN that full mode records', async () => {
    const chmodCtx = join(fx.work, 'chmod');
    await mkdir(chmodCtx);
    await writeFile(
      join(chmodCtx, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN chmod 700 /etc\nCMD ["stat", "-c", "%a", "/etc"]\n',
    );
    const modes: Record<string, string> = {};
    for (const mode of ['full', 'time'] as const) {
      const dest = `${reg().host}/flags/mode-${mode}:1`;
      await build({
        ...options(dest),
        context: chmodCtx,
        snapshotter: 'stat-walk',
        snapshotMode: mode,
      });
      modes[mode] = (await runLines(dest)).join('');
    }
    expect(modes).toEqual({ full: '700', time: '755' });
  });

  it('--snapshot-mode with overlay snapshots: said not to apply, as a warning', async () => {
    const notes: string[] = [];
    await build({
      ...options(`${reg().host}/flags/mode-overlay:1`),
      push: false,
      snapshotter: 'overlay',
      snapshotMode: 'redo',
      events: { info: (m) => notes.push(m) },
    });
    expect(notes).toContain(
      'warning: --snapshot-mode=redo does not apply: overlay snapshots take the upper directory as the change',
    );
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenRemoteImage } from './build/image-tree.js';
import { harness, podmanRun } from './harness/index.js';

/**
 * RUN --mount (issue 5): secrets, caches, binds and tmpfs exist only while the RUN runs. Checked against
 * the real registry: the secret's value is searched for in every blob that was pushed.
 */
describe('RUN --mount', () => {
  const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
  let work: string;
  let client: RegistryClient;
  const reg = () => harness().registries.plain;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mounts-'));
    client = new RegistryClient({ insecureRegistries: [reg().host] });
  });
  afterAll(async () => {
    await client.close();
    await rm(work, { recursive: true, force: true });
  });

  async function buildWith(
    dockerfile: string,
    tag: string,
    extra: Partial<Parameters<typeof build>[0]> = {},
  ) {
    const ctx = join(work, tag);
    await mkdir(join(ctx, 'data'), { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    await writeFile(join(ctx, 'data', 'file.txt'), 'from-context\n');
    const ref = `${reg().host}/mounts/${tag}:latest`;
    const result = await build({
      context: ctx,
      destinations: [ref],
      push: true,
      buildArgs: { REGISTRY: reg().host },
      registry: client,
      ...extra,
    });
    return { ref, result };
  }

  it('secrets reach the RUN as a file and as an env variable, and no pushed blob contains them', async () => {
    const secretFile = join(work, 'token.txt');
    await writeFile(secretFile, secret);
    const { ref, result } = await buildWith(
      [
        'ARG REGISTRY',
        'FROM ${REGISTRY}/base/busybox:latest',
        'RUN --mount=type=secret,id=token --mount=type=secret,id=api,env=API_KEY \\',
        '    [ "$(cat /run/secrets/token)" = "$API_KEY" ] && wc -c < /run/secrets/token > /secret-length',
        '',
      ].join('\n'),
      'secret',
      { secrets: { token: { file: secretFile }, api: { value: secret } } },
    );
    const flat = await flattenRemoteImage(ref, reg());
    expect(flat.tree.has('/secret-length')).toBe(true);
    expect([...flat.tree.keys()].filter((p) => p.startsWith('/run/secrets'))).toEqual([]);
    const run = await podmanRun(ref, ['cat', '/secret-length'], { pull: 'always' });
    expect(run.stdout.trim()).toBe(String(secret.length));

    const remote = await client.getManifest(`${ref.split(':latest')[0]}@${result.digest}`);
    const manifest = JSON.parse(Buffer.from(remote.bytes).toString('utf8'));
    const blobs = [manifest.config, ...manifest.layers];
    expect(blobs.length).toBeGreaterThan(1);
    for (const d of blobs) {
      const chunks: Buffer[] = [];
      for await (const c of client.openBlob(ref, d)) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const bytes = d.mediaType.endsWith('gzip') ? gunzipSync(raw) : raw;
      expect(bytes.includes(Buffer.from(secret)), `secret found in ${d.digest}`).toBe(false);
    }
    expect(JSON.stringify(manifest)).not.toContain(secret);
  });

  it('a cache mount persists between builds through --cache-dir and stays out of the image', async () => {
    const cacheDir = join(work, 'cache-dir');
    const dockerfile = [
      'ARG REGISTRY',
      'FROM ${REGISTRY}/base/busybox:latest',
      'RUN --mount=type=cache,target=/var/cache/app,id=app \\',
      '    n=$(cat /var/cache/app/count 2>/dev/null || echo 0); echo $((n+1)) > /var/cache/app/count; cp /var/cache/app/count /seen',
      '',
    ].join('\n');
    await buildWith(dockerfile, 'cache1', { cacheDir });
    const { ref } = await buildWith(dockerfile, 'cache2', { cacheDir });
    const run = await podmanRun(
      ref,
      ['sh', '-c', 'cat /seen; [ -e /var/cache/app ] && echo present || echo absent'],
      { pull: 'always' },
    );
    expect(run.stdout).toBe('2\nabsent\n');
  });

  it('bind mounts read the context read-only; tmpfs mounts vanish', async () => {
    const { ref } = await buildWith(
      [
        'ARG REGISTRY',
        'FROM ${REGISTRY}/base/busybox:latest',
        'RUN --mount=type=bind,source=data,target=/mnt/data --mount=type=tmpfs,target=/scratch \\',
        '    cat /mnt/data/file.txt > /copied && touch /scratch/x && (touch /mnt/data/new 2>/dev/null && echo writable || echo read-only) > /bind-mode',
        '',
      ].join('\n'),
      'bind',
    );
    const flat = await flattenRemoteImage(ref, reg());
    expect(flat.tree.has('/scratch/x')).toBe(false);
    expect(flat.tree.has('/mnt/data/file.txt')).toBe(false);
    const run = await podmanRun(ref, ['cat', '/copied', '/bind-mode'], { pull: 'always' });
    expect(run.stdout).toBe('from-context\nread-only\n');
  });

  it('a required secret that was not given fails the build with the instruction location', async () => {
    await expect(
      buildWith(
        'ARG REGISTRY\nFROM ${REGISTRY}/base/busybox:latest\nRUN --mount=type=secret,id=missing,required true\n',
        'missing',
      ),
    ).rejects.toThrow(/Dockerfile:3:1: .*secret missing is required/);
  });
});

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenRemoteImage } from '../build/image-tree.js';
import { allBlobs, skopeoCat } from './image-blobs.js';
import { buildInPlace, registry, useInPlaceSuite } from './in-place-run.js';

/**
 * Stage cleanup and RUN --mount emulation of the in-place executor, run by the bundled CLI in the
 * bwrap sandbox: a four-stage build whose cleanups must spare the workspace, a bound volume, the
 * executor and --ignore-path; every mount kind; the secret in no log and no pushed blob. And
 * --ignore-path with the chroot executor, for comparison.
 */
const suite = useInPlaceSuite('stages and mounts');
let client: RegistryClient;
beforeAll(() => {
  client = new RegistryClient({ insecureRegistries: [registry().host] });
});
afterAll(async () => {
  await client?.close();
});

describe('in-place stages and mounts', () => {
  it('cleans between stages without touching ignored paths; mounts are emulated; the secret is in no blob', async () => {
    const context = await mkdtemp(join(suite.scratch, 'ctx-'));
    const secretDir = await mkdtemp(join(suite.scratch, 'secret-'));
    const secret = `kts-secret-${Math.random().toString(36).slice(2)}-value`;
    await writeFile(join(secretDir, 'token'), secret);
    await mkdir(join(context, 'ctx'));
    await writeFile(join(context, 'ctx', 'hello.txt'), 'hello from the context\n');
    await writeFile(join(context, 'untouched.txt'), 'workspace file\n');
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'ARG REGISTRY',
        'FROM $REGISTRY/base/debian:bookworm AS first',
        'RUN echo first > /from-first && mkdir -p /var/cache/thing',
        'FROM first AS base',
        'RUN echo base > /from-base',
        'FROM $REGISTRY/base/busybox:latest AS other',
        'RUN echo other > /from-other',
        'FROM base',
        'COPY --from=other /from-other /copied-from-other',
        'RUN --mount=type=secret,id=token,target=/run/secrets/token wc -c < /run/secrets/token > /secret-len && stat -c %a /run/secrets/token > /secret-mode',
        'RUN --mount=type=secret,id=token,target=/etc/token-here test -f /etc/token-here && echo present > /secret-was-there',
        'RUN --mount=type=cache,target=/var/cache/thing echo run1 >> /var/cache/thing/log && wc -l < /var/cache/thing/log > /cache-count1',
        'RUN --mount=type=cache,target=/var/cache/thing echo run2 >> /var/cache/thing/log && wc -l < /var/cache/thing/log > /cache-count2',
        'RUN --mount=type=bind,source=ctx,target=/mnt/ctx cat /mnt/ctx/hello.txt > /bound',
        'RUN --mount=type=bind,from=other,source=/from-other,target=/mnt/fo cat /mnt/fo > /bound-stage',
        'RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/x && stat -c %a /scratch > /tmpfs-mode',
        'RUN --network=none echo no-network > /network',
        'RUN mkdir -p /opt/skip && echo x > /opt/skip/f && echo kept > /opt/kept',
        'RUN useradd -m -u 1600 -G users tester',
        'USER tester',
        'WORKDIR /home/tester/work',
        'RUN id > id.txt',
      ].join('\n'),
    );
    const volume = await mkdtemp(join(suite.scratch, 'volume-'));
    await writeFile(join(volume, 'data'), 'volume data\n');
    const ref = `${registry().host}/inplace/stages:latest`;
    const r = await buildInPlace(
      suite,
      'stages-and-mounts',
      context,
      ref,
      ['--secret', 'id=token,src=/kaniko-secrets/token', '--ignore-path', '/opt/skip'],
      { volume, roBinds: { [secretDir]: '/kaniko-secrets' } },
    );
    expect(r.exitCode, r.log.slice(-4000)).toBe(0);
    expect(r.log).toMatch(/in-place executor \(kaniko mode\): the chroot executor is unavailable/);
    expect(r.log).toMatch(/in a container \(\/\.dockerenv exists\)/);
    expect(r.log).toMatch(/in-place root: stage \d+ extracted over \//);
    // FROM first right after first continues in place; the busybox stage and the final one clean up
    expect(r.log).toMatch(/in-place root: stage 1 continues in \/ from stage 0/);
    expect(r.log).toMatch(/in-place root: stage 3 extracted over \/ \([1-9]\d* paths removed/);
    for (const type of ['secret', 'cache', 'bind', 'tmpfs'])
      expect(r.log).toContain(`RUN --mount=type=${type}`);
    expect(r.log).toMatch(/--network=none cannot be honoured/);
    expect(r.log).not.toContain(secret);

    // ignored paths survived every cleanup untouched
    expect(readFileSync(join(volume, 'data'), 'utf8')).toBe('volume data\n');
    expect(await readdir(volume)).toEqual(['data']);
    expect(readFileSync(join(context, 'untouched.txt'), 'utf8')).toBe('workspace file\n');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(sha(join(r.root, 'kaniko-ts/bin/node'))).toBe(sha(join(suite.template.dir, 'bin/node')));
    expect(sha(join(r.root, 'kaniko-ts/kaniko-ts.mjs'))).toBe(sha(join(suite.template.dir, 'kaniko-ts.mjs')));
    // the root holds the last stage: the busybox stage and the marker were cleaned away
    expect(existsSync(join(r.root, '.dockerenv'))).toBe(false);
    expect(existsSync(join(r.root, 'from-other'))).toBe(false);
    expect(readFileSync(join(r.root, 'from-base'), 'utf8')).toBe('base\n');

    const flat = await flattenRemoteImage(ref, registry());
    const file = (p: string) => flat.tree.get(p);
    expect(file('/from-first')?.type).toBe('file');
    expect(file('/from-base')?.type).toBe('file');
    expect(file('/from-other')).toBeUndefined();
    expect(file('/copied-from-other')?.size).toBe('other\n'.length);
    expect(file('/etc/token-here')).toBeUndefined();
    expect(file('/run/secrets/token')).toBeUndefined();
    expect(file('/scratch')).toBeUndefined();
    expect(file('/mnt/ctx')).toBeUndefined();
    // the cache directory existed in the base: it stays, empty, and the cache content is not in a layer
    expect(file('/var/cache/thing')?.type).toBe('directory');
    expect([...flat.tree.keys()].filter((k) => k.startsWith('/var/cache/thing/'))).toEqual([]);
    // --ignore-path: what the RUN wrote there is in no layer
    expect(file('/opt/kept')?.type).toBe('file');
    expect(file('/opt/skip/f')).toBeUndefined();
    expect(file('/kaniko-ts')).toBeUndefined();
    expect(file('/workspace')).toBeUndefined();
    expect(file('/mnt/volume')).toBeUndefined();

    const outputs = await skopeoCat(
      ref,
      [
        '/secret-len',
        '/secret-mode',
        '/secret-was-there',
        '/cache-count1',
        '/cache-count2',
        '/bound',
        '/bound-stage',
        '/tmpfs-mode',
        '/home/tester/work/id.txt',
      ],
      suite.scratch,
    );
    expect(outputs).toEqual([
      `${secret.length}\n`,
      '400\n',
      'present\n',
      '1\n',
      '2\n',
      'hello from the context\n',
      'other\n',
      '1777\n',
      'uid=1600(tester) gid=1600(tester) groups=1600(tester),100(users)\n',
    ]);
    const blobs = await allBlobs(ref, suite.scratch);
    expect(blobs.length).toBeGreaterThan(3);
    for (const b of blobs) expect(b.text.includes(secret), `secret in blob ${b.digest}`).toBe(false);
  }, 600_000);
});

describe('--ignore-path with the chroot executor', () => {
  it('leaves the ignored paths out of RUN layers', async () => {
    const context = await mkdtemp(join(suite.scratch, 'ctx-'));
    await writeFile(
      join(context, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN mkdir -p /data/skip && echo x > /data/skip/f && echo y > /data/kept\n',
    );
    const ref = `${registry().host}/inplace/chroot-ignore:latest`;
    const events: string[] = [];
    await build({
      context,
      destinations: [ref],
      push: true,
      buildArgs: { REGISTRY: registry().host },
      registry: client,
      executor: 'chroot',
      ignorePaths: ['/data/skip'],
      events: { info: (m) => events.push(m) },
    });
    expect(events.join('\n')).toMatch(/executor: chroot executor/);
    const flat = await flattenRemoteImage(ref, registry());
    expect(flat.tree.get('/data/kept')?.type).toBe('file');
    expect(flat.tree.has('/data/skip/f')).toBe(false);
  });
});

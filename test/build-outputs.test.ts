import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '@kaniko-ts/builder';
import { Credentials, RegistryClient, StaticKeychain } from '@kaniko-ts/registry';
import { describe, expect, it } from 'vitest';
import { harness, podman, skopeo } from './harness/index.js';
import { usePushingBuildFixture } from './registry/pushing-build-fixture.js';

/** Outputs and options of `build` (issue 4), each checked with an independent tool where one exists. */
describe('build outputs and options', () => {
  const reg = () => harness().registries.plain;
  const dockerfile = [
    'ARG REGISTRY',
    'FROM ${REGISTRY}/base/busybox:latest',
    'COPY app.txt /app/',
    'RUN echo built > /app/built && touch /app/stamp',
    'CMD ["cat", "/app/app.txt", "/app/built"]',
    '',
  ].join('\n');

  const fx = usePushingBuildFixture('outputs-', { Dockerfile: dockerfile, 'app.txt': 'app\n' });

  const base = () => ({ context: fx.context, buildArgs: { REGISTRY: reg().host }, registry: fx.client });

  it('--reproducible: the same inputs give the same digest on different days', async () => {
    const day1 = await build({
      ...base(),
      destinations: [],
      push: false,
      reproducible: true,
      now: () => new Date('2026-01-01T10:00:00Z'),
    });
    // touch the context file: mtimes must not matter either
    await writeFile(join(fx.context, 'app.txt'), 'app\n');
    const day2 = await build({
      ...base(),
      destinations: [],
      push: false,
      reproducible: true,
      now: () => new Date('2026-03-15T23:59:00Z'),
    });
    expect(day1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(day2.digest).toBe(day1.digest);
    const config = await day1.image?.config();
    expect(config?.created).toBe('1970-01-01T00:00:00.000Z');
    const normal = await build({
      ...base(),
      destinations: [],
      push: false,
      now: () => new Date('2026-01-01T10:00:00Z'),
    });
    expect(normal.digest).not.toBe(day1.digest);
  });

  it('writes an OCI layout and a docker-archive that skopeo and podman read', async () => {
    const layout = join(fx.work, 'layout');
    const archive = join(fx.work, 'image.tar');
    const r = await build({
      ...base(),
      destinations: ['example.com/app:v1'],
      push: false,
      ociLayoutPath: layout,
      tarPath: archive,
    });
    const fromLayout = await skopeo(['inspect', `oci:${layout}:v1`]);
    expect(fromLayout.exitCode, fromLayout.stderr).toBe(0);
    expect(JSON.parse(fromLayout.stdout).Digest).toBe(r.digest);
    const fromArchive = await skopeo(['inspect', `docker-archive:${archive}`]);
    expect(fromArchive.exitCode, fromArchive.stderr).toBe(0);
    const load = await podman(['load', '-i', archive]);
    expect(load.exitCode, load.stderr).toBe(0);
    const run = await podman(['run', '--rm', '--network=host', 'example.com/app:v1']);
    expect(run.stdout).toBe('app\nbuilt\n');
    await podman(['rmi', '-f', 'example.com/app:v1']);
  });

  it('pushes to several destinations and writes the three digest files', async () => {
    const host = reg().host;
    const dests = [`${host}/outputs/a:one`, `${host}/outputs/b:two`];
    const files = {
      digest: join(fx.work, 'digest'),
      name: join(fx.work, 'name'),
      tag: join(fx.work, 'tag.json'),
    };
    const r = await build({
      ...base(),
      destinations: dests,
      push: true,
      digestFile: files.digest,
      imageNameWithDigestFile: files.name,
      imageNameTagWithDigestFile: files.tag,
    });
    expect(await readFile(files.digest, 'utf8')).toBe(r.digest);
    expect(await readFile(files.name, 'utf8')).toBe(
      `${host}/outputs/a@${r.digest}\n${host}/outputs/b@${r.digest}\n`,
    );
    expect(JSON.parse(await readFile(files.tag, 'utf8'))).toEqual(
      dests.map((image) => ({ image, digest: r.digest })),
    );
    for (const d of dests) {
      const i = await skopeo(['inspect', '--tls-verify=false', `docker://${d}`]);
      expect(JSON.parse(i.stdout).Digest).toBe(r.digest);
    }
  });

  it('--dry-run prints the plan with bases resolved to digests and builds nothing', async () => {
    const r = await build({
      ...base(),
      destinations: [`${reg().host}/outputs/dry:x`],
      push: true,
      dryRun: true,
    });
    expect(r.digest).toBeUndefined();
    expect(r.plan).toContain(`FROM ${reg().host}/base/busybox:latest@${reg().bases.busybox.digest}`);
    expect(r.plan).toContain('COPY app.txt /app/');
    const tags = await skopeo(['list-tags', '--tls-verify=false', `docker://${reg().host}/outputs/dry`]);
    expect(tags.exitCode).not.toBe(0);
  });

  it('checks push permission before building: wrong credentials fail fast with the registry named', async () => {
    const auth = harness().registries.auth;
    const bad = new RegistryClient({
      insecureRegistries: [auth.host, reg().host],
      keychain: new StaticKeychain([
        [auth.host, Credentials.basic(auth.username as string, 'wrong-password')],
      ]),
    });
    const started = performance.now();
    await expect(
      build({ ...base(), registry: bad, destinations: [`${auth.host}/outputs/denied:x`], push: true }),
    ).rejects.toThrow(
      new RegExp(`${auth.host.replace(/[.]/g, '\\.')}.*401|401.*${auth.host.replace(/[.]/g, '\\.')}`),
    );
    // the RUN (which takes the executor and snapshot) never started
    expect(performance.now() - started).toBeLessThan(60_000);
    await bad.close();
  });

  it('builds from a tar.gz context with its .dockerignore applied', async () => {
    const tarDir = join(fx.work, 'tarctx');
    await mkdir(tarDir);
    await writeFile(
      join(tarDir, 'Dockerfile'),
      'ARG REGISTRY\nFROM ${REGISTRY}/base/busybox:latest\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n',
    );
    await writeFile(join(tarDir, 'kept.txt'), 'k');
    await writeFile(join(tarDir, 'secret.env'), 'TOKEN=x');
    await writeFile(join(tarDir, '.dockerignore'), '*.env\n');
    const archive = join(fx.work, 'ctx.tar.gz');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-czf', archive, '-C', tarDir, '.']);
    const dest = `${reg().host}/outputs/tarctx:latest`;
    await build({ ...base(), context: archive, destinations: [dest], push: true });
    const run = await podman(['run', '--rm', '--network=host', '--tls-verify=false', dest]);
    expect(run.stdout.split('\n').filter(Boolean).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'kept.txt',
    ]);
  });

  it('ADD <url> downloads with --checksum, and a wrong checksum fails the build', async () => {
    const { createServer } = await import('node:http');
    const { createHash } = await import('node:crypto');
    const body = 'downloaded over http\n';
    const server = createServer((_req, res) => {
      res.setHeader('last-modified', 'Tue, 01 Jul 2025 10:00:00 GMT');
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    try {
      const dir = join(fx.work, 'addurl');
      await mkdir(dir);
      const url = `http://127.0.0.1:${port}/files/data.txt`;
      await writeFile(
        join(dir, 'Dockerfile'),
        `ARG REGISTRY\nFROM \${REGISTRY}/base/busybox:latest\nADD --checksum=${sum} ${url} /dl/\nCMD ["stat", "-c", "%a %Y %n", "/dl/data.txt"]\n`,
      );
      const dest = `${reg().host}/outputs/addurl:latest`;
      await build({ ...base(), context: dir, destinations: [dest], push: true });
      const run = await podman(['run', '--rm', '--network=host', '--tls-verify=false', dest]);
      // ADD from a URL: mode 0600 and the server's Last-Modified as mtime, as Docker does
      expect(run.stdout).toBe(`600 ${Date.parse('2025-07-01T10:00:00Z') / 1000} /dl/data.txt\n`);
      await writeFile(
        join(dir, 'Dockerfile'),
        `ARG REGISTRY\nFROM \${REGISTRY}/base/busybox:latest\nADD --checksum=sha256:${'0'.repeat(64)} ${url} /dl/\n`,
      );
      await expect(build({ ...base(), context: dir, destinations: [], push: false })).rejects.toThrow(
        /Dockerfile:3:1: .*checksum mismatch/,
      );
    } finally {
      server.close();
    }
  });

  it('a failing RUN fails the build with the Dockerfile location and exit code', async () => {
    const failing = join(fx.work, 'failing');
    await mkdir(failing);
    await writeFile(
      join(failing, 'Dockerfile'),
      'ARG REGISTRY\nFROM ${REGISTRY}/base/busybox:latest\n\nRUN echo about to fail && exit 7\n',
    );
    await expect(build({ ...base(), context: failing, destinations: [], push: false })).rejects.toThrow(
      /Dockerfile:4:1: RUN echo about to fail && exit 7: .*exit code 7/,
    );
  });
});

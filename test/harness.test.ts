import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildah,
  containersToolFlags,
  debianSources,
  ensureRegistrySeed,
  harness,
  killGroup,
  podmanRun,
  pushBaseImages,
  registryGet,
  runCommand,
  seededBaseImages,
  skopeo,
  startRegistry,
  TEST_TOOLS,
  withTempDir,
} from './harness/index.js';

describe('test registries', () => {
  it('plain registry answers /v2/ with the distribution API version header', async () => {
    const r = await registryGet(harness().registries.plain, '/v2/');
    expect(r.status).toBe(200);
    expect(r.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('auth registry returns 401 with a Basic challenge without credentials, 200 with them', async () => {
    const reg = harness().registries.auth;
    const anon = await registryGet(reg, '/v2/', { auth: false });
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await registryGet(reg, '/v2/')).status).toBe(200);
    const wrong = await registryGet({ ...reg, password: `${reg.password}x` }, '/v2/');
    expect(wrong.status).toBe(401);
  });

  it('tls registry is trusted with the generated CA and rejected without it', async () => {
    const reg = harness().registries.tls;
    expect(reg.url.startsWith('https://')).toBe(true);
    expect((await registryGet(reg, '/v2/')).status).toBe(200);
    await expect(registryGet(reg, '/v2/', { trustCa: false })).rejects.toThrow(/certificate|verify/i);
  });

  it('stop() kills the registry process and removes its storage', async () => {
    const reg = await startRegistry({ variant: 'plain' });
    expect(isAlive(reg.pid)).toBe(true);
    expect(existsSync(reg.storageDir)).toBe(true);
    await reg.stop();
    // the group's last processes can take a moment to leave the process table on a loaded machine
    for (let i = 0; i < 50 && isAlive(reg.pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(reg.pid)).toBe(false);
    expect(existsSync(reg.storageDir)).toBe(false);
    // the port is released: nothing listens there, or (other projects' servers start on ephemeral
    // ports at the same time) something that is not a registry took it
    if (await canConnect(reg.host)) expect(listenersOn(reg.host)).not.toMatch(/docker-registry/);
    await reg.stop(); // idempotent
  });

  it('a registry dies with the process that started it, even on SIGKILL', async () => {
    const hooks = fileURLToPath(new URL('./bench/lib/ts-hooks.mjs', import.meta.url));
    const registryModule = fileURLToPath(new URL('./harness/registry.ts', import.meta.url));
    const script = `const { startRegistry } = await import(${JSON.stringify(registryModule)});
      const r = await startRegistry({ variant: 'plain' });
      console.log(JSON.stringify({ pid: r.pid, host: r.host }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(b.toString()));
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before starting a registry`)));
    });
    const { pid, host } = JSON.parse(line) as { pid: number; host: string };
    expect(isAlive(pid)).toBe(true);
    await expect(canConnect(host)).resolves.toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while ((await canConnect(host)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await expect(canConnect(host)).resolves.toBe(false);
    killGroup(pid, 'SIGKILL'); // the storage dir is left in /tmp in this case; the group must be gone
  });

  it('the docker-registry package service is not running, only our own instances', async () => {
    const cmdlines = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          return '';
        }
      })
      .filter((c) => c.includes('docker-registry') && c.includes(' serve '));
    expect(cmdlines.length).toBeGreaterThanOrEqual(3);
    expect(cmdlines.filter((c) => c.includes('/etc/docker/registry/config.yml'))).toEqual([]);
  });
});

describe('base images', () => {
  it('every test tool is installed', () => {
    expect(TEST_TOOLS.filter((t) => !t.present()).map((t) => t.tool)).toEqual([]);
  });

  for (const variant of ['plain', 'tls', 'auth'] as const) {
    it(`skopeo inspects both bases in the ${variant} registry with the layout's digests`, async () => {
      const h = harness();
      const reg = h.registries[variant];
      for (const name of ['busybox', 'debian'] as const) {
        const r = await skopeo([
          'inspect',
          ...containersToolFlags(reg, 'any'),
          `docker://${reg.bases[name].ref}`,
        ]);
        expect(r.stderr).toBe('');
        expect(r.exitCode).toBe(0);
        const info = JSON.parse(r.stdout) as {
          Digest: string;
          Architecture: string;
          Env: string[];
          Os: string;
        };
        expect(info.Digest).toBe(h.baseLayouts[name].manifestDigest);
        expect(info.Digest).toBe(reg.bases[name].digest);
        expect(info.Architecture).toBe('amd64');
        expect(info.Os).toBe('linux');
        expect(info.Env.some((e) => e.startsWith('PATH=/usr/local/sbin:'))).toBe(true);
      }
    });
  }

  it('pushBaseImages pushes both bases to a fresh registry under the layout digests', async () => {
    const h = harness();
    const reg = await startRegistry({ variant: 'auth' });
    try {
      const pushed = await pushBaseImages(reg, h.baseLayouts);
      expect(pushed.busybox.digest).toBe(h.baseLayouts.busybox.manifestDigest);
      expect(pushed.debian.digest).toBe(h.baseLayouts.debian.manifestDigest);
      const r = await registryGet(reg, `/v2/base/debian/manifests/${pushed.debian.digest}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(r.status).toBe(200);
      expect(sha256(Buffer.from(r.body))).toBe(pushed.debian.digest);
    } finally {
      await reg.stop();
    }
  });

  it('a registry started from the seed can overwrite and delete without touching the seed', async () => {
    const h = harness();
    const seed = await ensureRegistrySeed(h.baseLayouts, { cacheDir: h.cacheDir });
    const tagLink = join(
      seed.storageDir,
      'docker/registry/v2/repositories/base/debian/_manifests/tags/bookworm/current/link',
    );
    const before = await readFile(tagLink, 'utf8');
    const reg = await startRegistry({ variant: 'plain', seedStorageDir: seed.storageDir });
    try {
      const bases = seededBaseImages(reg, seed);
      // retag busybox as base/debian:bookworm, then delete the debian manifest
      const copy = await skopeo([
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        `docker://${bases.busybox.ref}`,
        `docker://${bases.debian.ref}`,
      ]);
      expect(copy.exitCode, copy.stderr).toBe(0);
      const del = await skopeo(['delete', '--tls-verify=false', `docker://${bases.debian.refByDigest}`]);
      expect(del.exitCode, del.stderr).toBe(0);
      const inspect = await skopeo(['inspect', '--tls-verify=false', `docker://${bases.debian.ref}`]);
      expect(JSON.parse(inspect.stdout).Digest).toBe(bases.busybox.digest);
    } finally {
      await reg.stop();
    }
    expect(await readFile(tagLink, 'utf8')).toBe(before);
    expect(before).toBe(h.baseLayouts.debian.manifestDigest);
  });

  it('skopeo refuses the tls registry without the CA', async () => {
    const reg = harness().registries.tls;
    const r = await skopeo(['inspect', `docker://${reg.bases.busybox.ref}`]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/certificate/i);
  });

  it('layer blobs match the manifest and diff_ids are sha256 of the uncompressed tar', async () => {
    for (const layout of Object.values(harness().baseLayouts)) {
      const blob = (d: string) => readFile(join(layout.dir, 'blobs', 'sha256', d.replace('sha256:', '')));
      const index = JSON.parse(await readFile(join(layout.dir, 'index.json'), 'utf8'));
      const manifestBytes = await blob(index.manifests[0].digest);
      expect(sha256(manifestBytes)).toBe(index.manifests[0].digest);
      const manifest = JSON.parse(manifestBytes.toString());
      const config = JSON.parse((await blob(manifest.config.digest)).toString());
      expect(manifest.layers).toHaveLength(1);
      const layer = await blob(manifest.layers[0].digest);
      expect(layer.length).toBe(manifest.layers[0].size);
      expect(sha256(layer)).toBe(manifest.layers[0].digest);
      expect(config.rootfs.diff_ids).toEqual([sha256(gunzipSync(layer))]);
      expect(config.architecture).toBe('amd64');
    }
  });

  it('umoci unpacks the busybox layout: applet links, /tmp 1777, users', async () => {
    await withTempDir(async (dir) => {
      const { busybox } = harness().baseLayouts;
      const r = await runCommand('umoci', [
        'raw',
        'unpack',
        '--image',
        `${busybox.dir}:latest`,
        join(dir, 'rootfs'),
      ]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.exitCode).toBe(0);
      const root = join(dir, 'rootfs');
      expect(await readlink(join(root, 'bin/sh'))).toBe('/bin/busybox');
      expect((await lstat(join(root, 'usr/bin/wget'))).isSymbolicLink()).toBe(true);
      expect((await stat(join(root, 'tmp'))).mode & 0o7777).toBe(0o1777);
      expect((await stat(join(root, 'home/user'))).uid).toBe(1000);
      const passwd = await readFile(join(root, 'etc/passwd'), 'utf8');
      expect(passwd).toMatch(/^root:x:0:0:/m);
      expect(passwd).toMatch(/^nobody:x:65534:/m);
      expect(passwd).toMatch(/^user:x:1000:1000:/m);
    });
  });

  it('debianSources reads one-line and deb822 files and keeps only bookworm suites', async () => {
    await withTempDir(async (apt) => {
      await mkdir(join(apt, 'sources.list.d'));
      await writeFile(
        join(apt, 'sources.list'),
        '# c\ndeb [arch=amd64] http://m.example/debian bookworm main contrib\n',
      );
      await writeFile(
        join(apt, 'sources.list.d', 'a.sources'),
        'Types: deb deb-src\nURIs: http://s.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n' +
          'Types: deb\nURIs: https://other.example/apt\nSuites: nodistro\nComponents: main\n',
      );
      expect(debianSources(apt)).toEqual([
        'deb http://m.example/debian bookworm main contrib',
        'deb http://s.example/debian-security bookworm-security main',
      ]);
    });
  });
});

describe('running images', () => {
  it('podman runs busybox from the plain registry', async () => {
    const r = await podmanRun(harness().registries.plain.bases.busybox.ref, ['echo', 'hello']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('hello\n');
  });

  it('podman runs as the image user 1000 and sees /tmp sticky', async () => {
    const r = await podmanRun(
      harness().registries.plain.bases.busybox.ref,
      ['sh', '-c', 'id -un; stat -c %a /tmp'],
      {
        user: 'user',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('user\n1777\n');
  });

  it('podman runs the Debian base from the auth registry (pull with credentials)', async () => {
    const reg = harness().registries.auth;
    const r = await podmanRun(reg.bases.debian.ref, ['cat', '/etc/debian_version'], { registry: reg });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^12\.\d+\n$/);
  });

  it('podman pulls from the tls registry with the CA', async () => {
    const reg = harness().registries.tls;
    const r = await podmanRun(reg.bases.busybox.ref, ['busybox', 'echo', 'tls'], { registry: reg });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('tls\n');
  });

  it('buildah builds on the busybox base and podman runs the result from the shared storage', async () => {
    await withTempDir(async (ctx) => {
      const base = harness().registries.plain.bases.busybox.ref;
      const tag = `localhost/kaniko-ts-harness-test:${process.pid}`;
      await writeFile(
        join(ctx, 'Dockerfile'),
        `FROM ${base}\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n`,
      );
      const bud = await buildah(['bud', '--tls-verify=false', '--layers', '-t', tag, ctx]);
      try {
        expect(bud.exitCode, bud.stderr).toBe(0);
        const run = await podmanRun(tag, [], { pull: 'never' });
        expect(run.stdout).toBe('built\n');
      } finally {
        await buildah(['rmi', '--force', tag]);
      }
    });
  });
});

describe('withTempDir', () => {
  it('removes the directory even when the callback throws', async () => {
    let seen = '';
    await expect(
      withTempDir(async (dir) => {
        seen = dir;
        await writeFile(join(dir, 'f'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).not.toBe('');
    expect(existsSync(seen)).toBe(false);
  });
});

function sha256(b: Buffer) {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `ss`'s line for whatever listens on the host's port, with its process name (we run as root). */
function listenersOn(host: string): string {
  const port = host.split(':')[1];
  const r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function canConnect(host: string) {
  const [h, p] = host.split(':');
  return new Promise<boolean>((resolve) => {
    const s = connect(Number(p), h!);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

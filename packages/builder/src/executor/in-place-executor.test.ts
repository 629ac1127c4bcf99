import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Layer } from '@kaniko-ts/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderError } from '../builder-error.js';
import { InPlaceRoot, type InPlaceStage } from '../rootfs/in-place-root.js';
import { inPlaceIgnoredPaths, parseMountInfo } from '../snapshot/ignore-list.js';
import type { RunOptions } from './executor.js';
import { containerEvidence } from './in-place-container.js';
import { InPlaceExecutor, saveHelperRuntime } from './in-place-executor.js';
import { selectExecutor } from './in-place-select.js';

let base: string;
let exec: InPlaceExecutor;
const warnings: string[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-inplace-'));
  const runtime = await saveHelperRuntime(join(base, 'runtime'), process.execPath);
  exec = new InPlaceExecutor({ runtime, scratch: base, onWarning: (m) => warnings.push(m) });
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function run(argv: string[], extra: Partial<RunOptions> = {}) {
  let out = '';
  let err = '';
  const code = await exec.run({
    root: '/',
    argv,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: '/',
    user: { uid: 0, gid: 0 },
    stdout: (c) => {
      out += c.toString();
    },
    stderr: (c) => {
      err += c.toString();
    },
    ...extra,
  });
  return { code, out, err };
}

describe('InPlaceExecutor', () => {
  it('keeps its own copy of the libraries node needs, startable without the system ones', async () => {
    const runtime = await saveHelperRuntime(join(base, 'rt2'), process.execPath);
    // static node builds have no loader: then the command is node alone
    if (runtime.command.length > 1) {
      expect(runtime.command[1]).toBe('--library-path');
      const libs = await readdir(runtime.command[2] as string);
      expect(libs.some((l) => l.startsWith('libc.so'))).toBe(true);
    }
    const out = execFileSync(runtime.command[0] as string, [...runtime.command.slice(1), '-p', '6*7'], {
      env: {},
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('42');
  });

  it('runs with exactly the given environment, user, groups and working directory (created)', async () => {
    const cwd = join(base, 'made', 'here');
    const r = await run(['sh', '-c', 'id -u; id -g; id -G; pwd; env | sort'], {
      env: ['PATH=/usr/bin:/bin', 'A=1 2', 'EMPTY='],
      user: { uid: 1234, gid: 2345, groups: [2345, 7, 3456] },
      cwd,
    });
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['1234', '2345', '2345 7 3456', cwd]);
    // sh adds PWD, SHLVL and _ of its own; nothing of this process leaks in
    expect(lines.slice(4).filter((l) => !/^(PWD|SHLVL|_)=/.test(l))).toEqual([
      'A=1 2',
      'EMPTY=',
      'PATH=/usr/bin:/bin',
    ]);
    expect(lstatSync(cwd).mode & 0o777).toBe(0o755);
    // no signal ignored or blocked (node ignores SIGPIPE: inherited, `yes | head` would never end)
    const sig = await run(['sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status']);
    expect(sig.out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('returns exit codes, 127 for a missing command, and kills background processes', async () => {
    expect((await run(['sh', '-c', 'exit 7'])).code).toBe(7);
    const missing = await run(['no-such-command-kts']);
    expect(missing.code).toBe(127);
    expect(missing.err).toMatch(/not found/);
    const marker = `${33_000 + Math.floor(Math.random() * 1000)}`;
    const started = Date.now();
    const r = await run(['sh', '-c', `(sleep ${marker} &); echo started`]);
    expect(r).toEqual({ code: 0, out: 'started\n', err: '' });
    expect(Date.now() - started).toBeLessThan(4_000);
    await new Promise((res) => setTimeout(res, 200));
    const left = execFileSync('sh', ['-c', `pgrep -f "[s]leep ${marker}" || true`], { encoding: 'utf8' });
    expect(left.trim()).toBe('');
  });

  it('emulates secret, cache, bind and tmpfs mounts and puts everything back', async () => {
    const t = join(base, 'mnt');
    await mkdir(join(t, 'existing'), { recursive: true });
    await writeFile(join(t, 'existing', 'orig'), 'orig');
    const secret = join(base, 'secret-src');
    await writeFile(secret, 's3cret', { mode: 0o400 });
    const cache = join(base, 'cache-src');
    await mkdir(cache);
    await writeFile(join(cache, 'old'), 'old');
    const bind = join(base, 'bind-src');
    await mkdir(bind);
    await writeFile(join(bind, 'in'), 'bound');
    warnings.length = 0;
    const r = await run(
      [
        'sh',
        '-c',
        `stat -c %a ${t}/run/secrets/token; cat ${t}/run/secrets/token; echo; cat ${t}/existing/old; echo; echo new > ${t}/existing/new; ls ${t}/existing; cat ${t}/src/in; echo; stat -c %a ${t}/scratch`,
      ],
      {
        mounts: [
          { type: 'secret', source: secret, target: `${t}/run/secrets/token` },
          { type: 'cache', source: cache, target: `${t}/existing` },
          { type: 'bind', source: bind, target: `${t}/src` },
          { type: 'tmpfs', target: `${t}/scratch` },
        ],
        network: 'none',
      },
    );
    expect(r.err).toBe('');
    expect(r.out).toBe('400\ns3cret\nold\nnew\nold\nbound\n1777\n');
    // the cache keeps what the RUN wrote; the target has its own content back; the rest is gone
    expect((await readdir(cache)).sort()).toEqual(['new', 'old']);
    expect(await readdir(t)).toEqual(['existing']);
    expect(await readdir(join(t, 'existing'))).toEqual(['orig']);
    expect(warnings.join('\n')).toMatch(/--network=none cannot be honoured/);
    for (const type of ['secret', 'cache', 'bind', 'tmpfs'])
      expect(warnings.join('\n')).toContain(`RUN --mount=type=${type}`);
  });

  it('refuses a root other than /', async () => {
    const error = await exec
      .run({ root: base, argv: ['true'], env: {}, cwd: '/', user: { uid: 0, gid: 0 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
  });
});

describe('in-place ignore list and root', () => {
  it('reads mount points from mountinfo (escaped spaces included) and keeps / out', () => {
    const text = [
      '22 1 8:1 / / rw,relatime - ext4 /dev/vda rw',
      '23 22 0:5 / /proc rw - proc proc rw',
      '24 22 8:1 /vol /mnt/my\\040volume rw - ext4 /dev/vda rw',
      '25 22 0:30 / /var/run/secrets/kubernetes.io/serviceaccount ro - tmpfs tmpfs ro',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      '/',
      '/proc',
      '/mnt/my volume',
      '/var/run/secrets/kubernetes.io/serviceaccount',
    ]);
    const ignored = inPlaceIgnoredPaths({
      mountInfo: text,
      executorDirs: ['/kaniko-ts'],
      workspace: '/builds/app/',
      workDir: '/kaniko-ts/work',
      extra: ['/cache/../data'],
    });
    expect(ignored).toEqual([
      '/builds/app',
      '/data',
      '/dev',
      '/kaniko-ts',
      '/kaniko-ts/work',
      '/mnt/my volume',
      '/proc',
      '/run',
      '/sys',
      '/var/run',
      '/var/run/secrets/kubernetes.io/serviceaccount',
    ]);
  });

  it('cleans everything but ignored paths and their ancestors, never following symlinks', async () => {
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'precious'), 'x');
    for (const d of ['kaniko-ts/bin', 'workspace/src', 'mnt/volume', 'etc', 'usr/bin', 'var/lib'])
      await mkdir(join(root, d), { recursive: true });
    await writeFile(join(root, 'kaniko-ts/bin/node'), 'node');
    await writeFile(join(root, 'workspace/src/a'), 'a');
    await writeFile(join(root, 'mnt/volume/data'), 'd');
    await writeFile(join(root, 'mnt/other'), 'o');
    await writeFile(join(root, 'etc/passwd'), 'p');
    await symlink(outside, join(root, 'usr/bin/escape'));
    await symlink(outside, join(root, 'link-dir'));
    const r = new InPlaceRoot({
      root,
      ignored: ['/kaniko-ts', '/workspace', '/mnt/volume'],
      stagesDir: join(base, 'stages'),
      extract: async () => undefined,
    });
    const stats = await r.clean();
    expect(stats.removed).toBe(5); // etc, usr, var, link-dir, mnt/other
    expect((await readdir(root)).sort()).toEqual(['kaniko-ts', 'mnt', 'workspace']);
    expect(await readdir(join(root, 'mnt'))).toEqual(['volume']);
    expect(readFileSync(join(root, 'kaniko-ts/bin/node'), 'utf8')).toBe('node');
    expect(readFileSync(join(root, 'workspace/src/a'), 'utf8')).toBe('a');
    expect(readFileSync(join(root, 'mnt/volume/data'), 'utf8')).toBe('d');
    expect(existsSync(join(outside, 'precious'))).toBe(true);
    expect(r.ignore('mnt/volume/x')).toBe(true);
    expect(r.ignore('mnt')).toBe(false);
  });
});

describe('InPlaceRoot stage switching', () => {
  it('cleans and extracts on a switch, continues for FROM the stage in the root, re-extracts for COPY --from', async () => {
    const root = join(base, 'switch-root');
    await mkdir(join(root, 'keep'), { recursive: true });
    const calls: string[] = [];
    const layer = (name: string) =>
      ({ uncompressed: async () => Readable.from([Buffer.from(name)]) }) as unknown as Layer;
    const [l1, l2, l3] = [layer('l1'), layer('l2'), layer('l3')];
    const r = new InPlaceRoot({
      root,
      ignored: ['/keep'],
      stagesDir: join(base, 'switch-stages'),
      extract: async (dir, tar, ignore) => {
        const parts: Buffer[] = [];
        for await (const chunk of tar) parts.push(Buffer.from(chunk));
        const name = Buffer.concat(parts).toString();
        calls.push(`${dir === root ? 'root' : 'copy'}:${name}:${ignore ? 'ignoring' : 'all'}`);
        if (dir === root) await writeFile(join(root, name), name);
      },
    });
    const a = { plan: { index: 0 }, layers: [l1] as Layer[] } as InPlaceStage;
    const b = { plan: { index: 1 }, layers: [l1, l2] as Layer[] } as InPlaceStage;
    const c = { plan: { index: 2 }, layers: [l3] as Layer[] } as InPlaceStage;
    expect(await r.rootfs(a)).toBe(root);
    expect(await r.rootfs(a)).toBe(root);
    await r.rootfs(b); // FROM a: a's files stay, only l2 is added
    expect((await readdir(root)).sort()).toEqual(['keep', 'l1', 'l2']);
    expect([a.rootfs, b.rootfs]).toEqual([undefined, root]);
    await r.rootfs(c); // another base: cleaned first
    expect((await readdir(root)).sort()).toEqual(['keep', 'l3']);
    const copy = await r.stageRoot(a);
    expect(copy).not.toBe(root);
    expect(await r.stageRoot(a)).toBe(copy);
    expect(calls).toEqual(['root:l1:ignoring', 'root:l2:ignoring', 'root:l3:ignoring', 'copy:l1:all']);
  });
});

describe('selecting the executor', () => {
  const noChroot = async (): Promise<never> => {
    throw new BuilderError('EXECUTOR_UNAVAILABLE', 'running as root but namespaces fail: EPERM');
  };

  it('sees container markers', async () => {
    const empty = join(base, 'no-markers');
    await mkdir(join(empty, 'proc/1'), { recursive: true });
    await writeFile(join(empty, 'proc/1/cgroup'), '0::/\n');
    expect(await containerEvidence({ env: {}, root: empty })).toBeUndefined();
    expect(await containerEvidence({ env: { container: 'podman' }, root: empty })).toMatch(
      /container=podman/,
    );
    expect(await containerEvidence({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, root: empty })).toMatch(
      /Kubernetes/,
    );
    await writeFile(join(empty, 'proc/1/cgroup'), '0::/kubepods/besteffort/pod1/abc\n');
    expect(await containerEvidence({ env: {}, root: empty })).toMatch(/kubepods/);
    await writeFile(join(empty, '.dockerenv'), '');
    expect(await containerEvidence({ env: {}, root: empty })).toBe('/.dockerenv exists');
  });

  it('auto: in place in a container when namespaces fail; refuses outside one unless forced', async () => {
    const bare = join(base, 'bare');
    await mkdir(bare);
    const opts = { env: {}, scratch: join(base, 'sel'), markerRoot: bare, detectChroot: noChroot };
    const error = await selectExecutor(opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect((error as BuilderError).code).toBe('EXECUTOR_UNAVAILABLE');
    expect((error as BuilderError).message).toMatch(/namespaces fail.*--force/s);
    const forced = await selectExecutor({ ...opts, force: true });
    expect([forced.kind, forced.reason]).toEqual([
      'in-place',
      expect.stringMatching(/namespaces fail.*forced \(--force\)/),
    ]);
    const inContainer = await selectExecutor({ ...opts, env: { container: 'docker' } });
    expect(inContainer.kind).toBe('in-place');
    expect(inContainer.reason).toMatch(/in a container \(container=docker/);
    const explicit = await selectExecutor({ ...opts, choice: 'in-place' }).catch((e: unknown) => e);
    expect((explicit as BuilderError).code).toBe('EXECUTOR_UNAVAILABLE');
    // never as a user that could not own the files it builds
    const user = await selectExecutor({ ...opts, env: { container: 'docker' }, uid: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((user as BuilderError).message).toMatch(/building in place needs root \(running as uid 1000\)/);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderError } from '../builder-error.js';
import { readTar } from '../rootfs/tar-reader.js';
import { OverlaySnapshotter } from '../snapshot/overlay-snapshotter.js';
import { StatWalkSnapshotter } from '../snapshot/stat-walk-snapshotter.js';
import { ChrootExecutor } from './chroot-executor.js';
import { detectExecutor } from './detect-executor.js';
import type { RunOptions } from './executor.js';

const BUSYBOX = '/bin/busybox';

/** A tiny root: the static busybox and its applet links, /etc/passwd, nothing of the host. */
async function busyboxRoot(dir: string): Promise<void> {
  if (!existsSync(BUSYBOX)) {
    throw new Error(
      `${BUSYBOX} is missing: install Debian busybox-static (apt-get install -y busybox-static)`,
    );
  }
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(BUSYBOX, join(dir, 'bin/busybox'));
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).trim().split('\n');
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    await mkdir(join(dir, dirname(applet)), { recursive: true });
    await symlink('/bin/busybox', join(dir, applet)).catch(() => undefined);
  }
  await mkdir(join(dir, 'etc'));
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await mkdir(join(dir, 'tmp'), { mode: 0o1777 });
}

let base: string;
let root: string;
const exec = new ChrootExecutor();

async function run(argv: string[], extra: Partial<RunOptions> = {}) {
  let out = '';
  let err = '';
  const code = await exec.run({
    root,
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

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-exec-'));
  root = join(base, 'root');
  await busyboxRoot(root);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('ChrootExecutor', () => {
  it('streams stdout and stderr and returns the exit status', async () => {
    const r = await run(['/bin/sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    expect(r).toEqual({ code: 3, out: 'hello\n', err: 'oops\n' });
    // a child killed by a signal: the shell reports 128+9, as Docker shows it
    const killed = await run(['/bin/sh', '-c', 'sh -c "kill -9 \\$\\$"; exit $?']);
    expect(killed.code).toBe(137);
    const missing = await run(['/no/such/binary']);
    expect(missing.code).not.toBe(0);
  });

  it('finds its host tools whatever PATH the RUN has', async () => {
    const r = await run(['/bin/echo', 'ran'], {
      env: { PATH: '/nowhere' },
      user: { uid: 1000, gid: 1000, groups: [5] },
    });
    expect(r).toEqual({ code: 0, out: 'ran\n', err: '' });
  });

  it('passes exactly the given environment', async () => {
    const r = await run(['/usr/bin/env'], { env: ['PATH=/bin', 'WITH_SPACE=a b', "QUOTE='x'", 'EMPTY='] });
    expect(r.out.trim().split('\n').sort()).toEqual(['EMPTY=', 'PATH=/bin', "QUOTE='x'", 'WITH_SPACE=a b']);
  });

  it('chroots: sees only the root, with /proc, a minimal /dev and the host resolv.conf/hosts', async () => {
    const r = await run([
      '/bin/sh',
      '-c',
      'ls /; echo ---; ls /dev; echo ---; cat /etc/resolv.conf; echo ---; echo $$; ps -o pid | tail -n +2; echo x > /dev/null',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [top, dev, resolv, pid] = r.out.split('---\n');
    expect(top?.trim().split(/\s+/).sort()).toEqual([
      'bin',
      'dev',
      'etc',
      'linuxrc',
      'proc',
      'sbin',
      'tmp',
      'usr',
    ]);
    for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'fd']) {
      expect(dev?.split(/\s+/)).toContain(d);
    }
    expect(resolv).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
    // PID 1 in its own namespace (setup commands used the next few PIDs): ps sees only this run
    const pids = (pid ?? '').trim().split(/\s+/).map(Number);
    expect(pids[0]).toBe(1);
    expect(pids.length).toBeLessThan(5);
    expect(Math.max(...pids)).toBeLessThan(100);
    // mount points created for the run are gone again, the root is as it was
    expect((await readdir(root)).sort()).toEqual(['bin', 'etc', 'linuxrc', 'sbin', 'tmp', 'usr']);
    expect((await readdir(join(root, 'etc'))).sort()).toEqual(['passwd']);
  });

  it('switches uid, gid and supplementary groups, and keeps Docker capabilities for root', async () => {
    const user = await run(['/bin/sh', '-c', 'id -u; id -g; id -G; grep CapEff /proc/self/status'], {
      user: { uid: 1000, gid: 1001, groups: [1001, 2000] },
    });
    expect(user.out.split('\n').slice(0, 3)).toEqual(['1000', '1001', '1001 2000']);
    expect(user.out).toMatch(/CapEff:\s+0000000000000000/);
    const rootUser = await run(['/bin/sh', '-c', 'id -G; grep -E "CapBnd|CapEff" /proc/self/status']);
    // Docker's default set: chown dac_override fowner fsetid kill setgid setuid setpcap
    // net_bind_service net_raw sys_chroot mknod audit_write setfcap
    expect(rootUser.out).toMatch(/CapBnd:\s+00000000a80425fb/);
    expect(rootUser.out).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(rootUser.out.split('\n')[0]).toBe('0');
  });

  it('runs in the working directory and creates it when missing', async () => {
    const r = await run(['/bin/pwd'], { cwd: '/work/dir' });
    expect(r.out).toBe('/work/dir\n');
    await rm(join(root, 'work'), { recursive: true });
  });

  it('kills background processes when the command exits', async () => {
    const marker = `${31_000 + Math.floor(Math.random() * 1000)}`;
    const r = await run(['/bin/sh', '-c', `sleep ${marker} & echo started`]);
    expect(r.out).toBe('started\n');
    const left = execFileSync('sh', ['-c', `pgrep -f "[s]leep ${marker}" || true`], { encoding: 'utf8' });
    expect(left.trim()).toBe('');
  });

  it('mounts bind, cache, secret and tmpfs only for the run', async () => {
    const hostRo = join(base, 'ro');
    const cache = join(base, 'cache');
    const secret = join(base, 'secret');
    await mkdir(hostRo);
    await writeFile(join(hostRo, 'in'), 'from host\n');
    await mkdir(cache);
    await writeFile(secret, 's3cret\n');
    const r = await run(
      [
        '/bin/sh',
        '-c',
        [
          'cat /src/in',
          'echo nope > /src/x 2>/dev/null && echo WROTE || echo readonly',
          'echo cached > /var/cache/apt/keep',
          'cat /run/secrets/token',
          'echo t > /scratch/t && cat /scratch/t',
        ].join('; '),
      ],
      {
        mounts: [
          { type: 'bind', source: hostRo, target: '/src' },
          { type: 'cache', source: cache, target: '/var/cache/apt' },
          { type: 'secret', source: secret, target: '/run/secrets/token' },
          { type: 'tmpfs', target: '/scratch' },
        ],
      },
    );
    expect(r.out).toBe('from host\nreadonly\ns3cret\nt\n');
    expect(readFileSync(join(cache, 'keep'), 'utf8')).toBe('cached\n');
    for (const gone of ['src', 'var', 'run', 'scratch']) expect(existsSync(join(root, gone))).toBe(false);
  });

  it('kills the whole tree when aborted', async () => {
    const marker = `${32_000 + Math.floor(Math.random() * 1000)}`;
    const started = Date.now();
    const error = await run(['/bin/sh', '-c', `sleep ${marker} & sleep ${marker}`], {
      signal: AbortSignal.timeout(300),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 200));
    const left = execFileSync('sh', ['-c', `pgrep -f "[s]leep ${marker}" || true`], { encoding: 'utf8' });
    expect(left.trim()).toBe('');
  });

  it('gives the run its own host name without touching the host', async () => {
    const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
    const named = new ChrootExecutor({ hostname: 'kts-sandbox' });
    let out = '';
    const code = await named.run({
      root,
      argv: ['/bin/hostname'],
      env: {},
      cwd: '/',
      user: { uid: 0, gid: 0 },
      stdout: (c) => {
        out += c.toString();
      },
    });
    expect([code, out]).toEqual([0, 'kts-sandbox\n']);
    expect(execFileSync('hostname', { encoding: 'utf8' }).trim()).toBe(host);
  });

  it('honours network none', async () => {
    const r = await run(['/bin/sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1'], { network: 'none' });
    expect(r.out.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('leaves nothing of the host in an overlay snapshot of the run', async () => {
    const s = new OverlaySnapshotter({ stateDir: join(base, 'state') });
    const { runRoot } = await s.prepare(root);
    const r = await exec.run({
      root: runRoot,
      argv: ['/bin/sh', '-c', 'echo made > /made && rm /etc/passwd && cat /etc/hosts >/dev/null'],
      env: { PATH: '/bin' },
      cwd: '/',
      user: { uid: 0, gid: 0 },
    });
    expect(r).toBe(0);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await s.snapshot(sink);
    await s.dispose();
    const names: string[] = [];
    for await (const e of readTar(Readable.from([Buffer.concat(chunks)]))) names.push(e.header.name);
    expect(names).toEqual(['etc/', 'etc/.wh.passwd', 'made']);
    expect(readFileSync(join(root, 'made'), 'utf8')).toBe('made\n');
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await rm(join(root, 'made'));
  });
});

describe('ChrootExecutor with both snapshotters', () => {
  it.each([
    ['stat walk', () => new StatWalkSnapshotter()],
    ['overlay', () => new OverlaySnapshotter({ stateDir: join(base, 'state2') })],
  ])(
    'a RUN that changes nothing gives an empty layer (%s): mount points leave no trace',
    async (_n, make) => {
      const s = make();
      const { runRoot } = await s.prepare(root);
      const code = await exec.run({
        root: runRoot,
        argv: ['/bin/sh', '-c', 'cat /etc/hosts /etc/resolv.conf > /dev/null && ls /proc/self > /dev/null'],
        env: { PATH: '/bin' },
        cwd: '/',
        user: { uid: 0, gid: 0 },
        mounts: [{ type: 'tmpfs', target: '/run/scratch' }],
      });
      expect(code).toBe(0);
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on('data', (c: Buffer) => chunks.push(c));
      const stats = await s.snapshot(sink);
      await s.dispose();
      const names: string[] = [];
      for await (const e of readTar(Readable.from([Buffer.concat(chunks)]))) names.push(e.header.name);
      expect(names).toEqual([]);
      expect(stats.entries).toBe(0);
    },
  );
});

describe('detectExecutor', () => {
  it('chooses the chroot executor as root and says why', async () => {
    const d = await detectExecutor();
    expect(d.executor.kind).toBe('chroot');
    expect(d.reason).toMatch(/root/);
  });

  it('fails clearly when the tools are missing', async () => {
    const error = await detectExecutor({ toolPath: join(base, 'empty-path') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect((error as BuilderError).code).toBe('TOOL_MISSING');
    expect((error as BuilderError).message).toMatch(/unshare.*util-linux/);
  });

  it('runs unprivileged in a user namespace (builder as uid 65534, RUN as mapped root)', async () => {
    const uroot = join(base, 'uroot');
    await busyboxRoot(uroot);
    await chmod(base, 0o755);
    execFileSync('chown', ['-R', '65534:65534', uroot]);
    const hooks = fileURLToPath(new URL('../../../../test/bench/lib/ts-hooks.mjs', import.meta.url));
    const script = join(base, 'userns-run.mjs');
    const src = fileURLToPath(new URL('./detect-executor.ts', import.meta.url));
    await writeFile(
      script,
      [
        `import { detectExecutor } from ${JSON.stringify(src)};`,
        'const { executor, reason } = await detectExecutor();',
        'const code = await executor.run({',
        `  root: ${JSON.stringify(uroot)}, argv: ['/bin/sh', '-c', 'id -u; cat /proc/self/uid_map; echo hi > /tmp/made'],`,
        "  env: { PATH: '/bin' }, cwd: '/', user: { uid: 0, gid: 0 },",
        '  stdout: (c) => process.stdout.write(c), stderr: (c) => process.stderr.write(c),',
        '});',
        "console.log(reason); console.log('code=' + code);",
      ].join('\n'),
    );
    const out = execFileSync(
      'setpriv',
      [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        '--',
        process.execPath,
        '--import',
        hooks,
        script,
      ],
      { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]?.trim().split(/\s+/)).toEqual(['0', '65534', '1']);
    expect(out).toMatch(/unprivileged user namespace/);
    expect(lines.at(-1)).toBe('code=0');
    const made = await stat(join(uroot, 'tmp/made'));
    expect([made.uid, made.gid]).toEqual([65534, 65534]);
  });

  it('refuses a non-root RUN user in a user namespace with a clear error', async () => {
    const userns = new ChrootExecutor({ mode: 'userns' });
    const error = await userns
      .run({ root, argv: ['/bin/true'], env: {}, cwd: '/', user: { uid: 1000, gid: 1000 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect((error as BuilderError).code).toBe('EXECUTOR_UNAVAILABLE');
  });
});

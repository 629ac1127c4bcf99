import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTools, findExecutable, harness, podman } from '../../../../test/harness/index.js';
import { parseCommandFile, repoRoot } from './run-bundle.js';

/**
 * GitHub-hosted runners run the job as a non-root user with passwordless sudo. Here a real user is
 * created for the test (useradd, a sudoers.d file), the committed build action bundle is run as that
 * user the way the runner runs it (node dist/index.js, INPUT_* variables, GITHUB_OUTPUT…), and the
 * pushed image is checked. Both are removed afterwards.
 */
const node = join(repoRoot, 'node_modules', 'node', 'bin', 'node');
const user = `ktsrun${process.pid % 100000}`;
const sudoers = `/etc/sudoers.d/kaniko-ts-test-${user}`;

describe('build action on a GitHub-hosted-like runner (non-root user, passwordless sudo)', () => {
  const registry = {
    get host() {
      return harness().registries.plain.host;
    },
  };
  let uid = -1;
  let gid: number;
  let work: string;

  beforeAll(async () => {
    const bundled = readFileSync(join(repoRoot, 'actions', 'build', 'dist', 'index.js'), 'utf8');
    if (!bundled.includes('--kaniko-ts-privileged-build'))
      throw new Error(
        'actions/build/dist/index.js predates the sudo path (no --kaniko-ts-privileged-build): run node scripts/gen-bundles.mjs',
      );
    await ensureTools({
      tools: [{ tool: 'sudo', pkg: 'sudo', present: () => findExecutable('sudo') !== undefined }],
    });
    execFileSync('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]);
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    work = mkdtempSync(join('/tmp', 'sudo-runner-'));
    const ctx = join(work, 'ctx');
    cpSync(join(repoRoot, 'actions', 'build'), join(work, 'action-checkout', 'actions', 'build'), {
      recursive: true,
    });
    execFileSync('mkdir', ['-p', ctx, join(work, 'tmp')]);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        'ARG REGISTRY',
        'FROM $REGISTRY/base/busybox:latest',
        "RUN echo 'app:x:4321:4321::/data:/bin/sh' >> /etc/passwd && echo 'app:x:4321:' >> /etc/group \\",
        '    && mkdir /data && chown 4321:4321 /data && echo secret > /root-only && chmod 600 /root-only',
        'USER app',
        'RUN busybox id -u > /data/uid && echo made-by-app > /data/file',
        'CMD ["sh", "-c", "cat /data/uid; busybox stat -c \'%u %U %a\' /data/file /root-only"]',
        '',
      ].join('\n'),
    );
    execFileSync('chown', ['-R', `${uid}:${gid}`, work]);
  });

  afterAll(async () => {
    rmSync(sudoers, { force: true });
    if (uid >= 0) execFileSync('userdel', ['--remove', '--force', user], { stdio: 'ignore' });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The bundle as `user`, with the runner's files; `wrap` runs it inside another command. */
  const runAsUser = async (
    name: string,
    wrap: (argv: string[], env: Record<string, string>) => string[] = (a) => a,
    started: (pid: number) => Promise<void> = async () => undefined,
  ) => {
    const files = {
      GITHUB_OUTPUT: join(work, `${name}.output`),
      GITHUB_ENV: join(work, `${name}.env`),
      GITHUB_STEP_SUMMARY: join(work, `${name}.summary`),
    };
    for (const f of Object.values(files)) {
      writeFileSync(f, '');
      chownSync(f, uid, gid);
    }
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: `/home/${user}`,
      RUNNER_TEMP: join(work, 'tmp'),
      GITHUB_WORKSPACE: work,
      GITHUB_ACTIONS: 'true',
      ...files,
      INPUT_CONTEXT: join(work, 'ctx'),
      'INPUT_BUILD-ARGS': `REGISTRY=${registry.host}`,
      INPUT_TAGS: `${registry.host}/sudo-runner/${name}:1`,
      'INPUT_INSECURE-REGISTRY': registry.host,
      'INPUT_DIGEST-FILE': join(work, `${name}.digest`),
    };
    const bundle = join(work, 'action-checkout', 'actions', 'build', 'dist', 'index.js');
    const argv = wrap(
      ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', node, bundle],
      env,
    );
    const child = spawn(argv[0] as string, argv.slice(1), { env, cwd: work });
    if (child.pid !== undefined) await started(child.pid);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out, outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')), files };
  };

  it('builds a RUN as a non-root USER: only the build engine goes through sudo -n, files stay the user’s', async () => {
    writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    execFileSync('visudo', ['-cf', sudoers]);
    const r = await runAsUser('sudo');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('running the build engine as root through sudo -n');
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(work, 'sudo.digest'), 'utf8')).toBe(r.outputs.digest);
    // what the root child wrote for the user is the user's again
    const rootOwned: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        const st = lstatSync(p);
        if (st.uid !== uid) rootOwned.push(p);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(work);
    expect(rootOwned).toEqual([]);
    // the pushed image: the second RUN ran as uid 4321, and root's files kept their owner
    const ref = `${registry.host}/sudo-runner/sudo@${r.outputs.digest}`;
    const run = await podman(['run', '--rm', '--network=host', '--tls-verify=false', ref]);
    expect(run.stdout.trim().split('\n')).toEqual(['4321', '4321 app 644', '0 root 600']);
  });

  it('with neither sudo nor user namespaces: the step fails saying what to grant', async () => {
    rmSync(sudoers, { force: true });
    // a user namespace of this test's own whose limit for nested namespaces is 0: unshare fails
    // inside it as under AppArmor's userns restriction on Ubuntu 24.04 runners
    const r = await runAsUser(
      'nothing',
      (argv, env) => [
        'unshare',
        '--user',
        '--',
        'sh',
        '-c',
        // wait for the test to map root and the user, then forbid nested user namespaces
        // (after an exec: the credentials of the mapped process take effect there)
        'while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.05; done; exec sh -c \'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"\' sh "$@"',
        'sh',
        // sh drops variables whose names are not identifiers (INPUT_BUILD-ARGS): env(1) sets them again
        'env',
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...argv,
      ],
      async (pid) => {
        // once unshare is in its new namespace, map root and the user (as root of the parent namespace)
        for (let i = 0; readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user'); i++) {
          if (i > 200) throw new Error('unshare did not create a user namespace');
          await new Promise((r) => setTimeout(r, 10));
        }
        writeFileSync(`/proc/${pid}/gid_map`, `0 0 1\n${gid} ${gid} 1\n`);
        writeFileSync(`/proc/${pid}/uid_map`, `0 0 1\n${uid} ${uid} 1\n`);
      },
    );
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/::error::build: .*neither works here/);
    expect(r.out).toContain('Grant one of: passwordless sudo for this user');
    expect(r.out).toContain('/etc/sudoers.d/kaniko-ts');
    expect(r.out).not.toContain('through sudo -n (uid');
  });
});

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, runChecked, skopeo } from '../../../../test/harness/index.js';
import { createLiveProgress } from '../live-progress.js';
import { main } from '../main.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const ESC = '\x1b[';
const REDRAW = '\r\x1b[2K';

/** `kaniko-ts build` progress: redrawn on a terminal, plain lines in CI, JSON lines on request. */
describe('kaniko-ts build progress', () => {
  let work: string;
  let ctx: string;
  let cli: string;
  const reg = () => harness().registries.plain;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-progress-'));
    ctx = join(work, 'ctx');
    await mkdir(ctx);
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'ARG REGISTRY',
        'FROM $REGISTRY/base/busybox:latest',
        'COPY app.txt /app/',
        'RUN echo first-output && echo run > /app/run.txt && sleep 0.6 && echo second-output >&2',
        'ENV A=1',
        '',
      ].join('\n'),
    );
    await writeFile(join(ctx, 'app.txt'), 'app\n');
    // the CLI as users get it: one bundled file
    cli = join(work, 'cli', 'kaniko-ts.mjs');
    await runChecked(join(repoRoot, 'node_modules', '.bin', 'node'), [
      join(repoRoot, 'scripts', 'gen-bundles.mjs'),
      '--cli',
      cli,
    ]);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const buildArgs = (name: string, extra: string[] = []) => [
    'build',
    '--context',
    ctx,
    '--build-arg',
    `REGISTRY=${reg().host}`,
    '--destination',
    `${reg().host}/cli-progress/${name}:1`,
    '--insecure-registry',
    reg().host,
    ...extra,
  ];
  const inProcess = async (argv: string[], env: Record<string, string>, isTTY: boolean) => {
    const out = { stdout: '', stderr: '' };
    const code = await main({
      argv,
      env,
      cwd: work,
      streams: {
        stdout: { write: (s: string) => (out.stdout += s) },
        stderr: { write: (s: string) => (out.stderr += s), isTTY, columns: 120 },
      },
    });
    return { code, ...out };
  };

  it('in CI (CI=true), even on a TTY: one plain line per event, no escape codes', async () => {
    const r = await inProcess(buildArgs('ci'), { CI: 'true' }, true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(ESC);
    const lines = r.stderr.split('\n');
    const index = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      /^INFO +stage 0: FROM .*base\/busybox:latest$/,
      /^INFO +stage 0, line 3: COPY app.txt \/app\/$/,
      /^INFO +stage 0, line 3: done \(\d+\.\d\d s, layer \d+(\.\d)? (B|KiB)\)$/,
      /^INFO +stage 0, line 4: RUN echo first-output/,
      /^INFO +first-output$/,
      /^INFO +second-output$/,
      /^INFO +stage 0, line 4: done \((0\.[6-9]|[1-9])\d*\.?\d* s, layer /,
      /^INFO +stage 0, line 5: done \(\d+\.\d\d s\)$/,
    ].map(index);
    expect(
      order.every((i) => i >= 0),
      r.stderr,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // no JSON field dumps in plain logs
    expect(r.stderr).not.toContain('"event"');
  });

  it('GITHUB_ACTIONS and GITLAB_CI count as CI too', async () => {
    for (const env of [{ GITHUB_ACTIONS: 'true' }, { GITLAB_CI: 'true', KANIKO_TS_DOTENV: 'x.env' }]) {
      const r = await inProcess(buildArgs('ci-env', ['--no-push']), env, true);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/stage 0, line 4: done/);
      expect(r.stderr).not.toContain(REDRAW);
    }
  });

  it('--log-format json: one JSON object per event, with the progress fields', async () => {
    const r = await inProcess(buildArgs('json', ['--log-format', 'json']), {}, true);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ends = events.filter((e) => e.event === 'instruction-end');
    expect(ends.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(ends.map((e) => typeof e.layerSize)).toEqual(['number', 'number', 'undefined']);
    expect(events.filter((e) => e.event === 'output').map((e) => [e.msg, e.stream])).toEqual([
      ['first-output', 'stdout'],
      ['second-output', 'stderr'],
    ]);
  });

  it('pushes report bytes per blob (JSON progress events up to the blob size)', async () => {
    const big = join(work, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(
      join(big, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN head -c 3000000 /dev/urandom > /big\n',
    );
    const r = await inProcess(
      [
        'build',
        '--context',
        big,
        '--build-arg',
        `REGISTRY=${reg().host}`,
        '--destination',
        `${reg().host}/cli-progress/push:1`,
        '--insecure-registry',
        reg().host,
        '--log-format',
        'json',
      ],
      {},
      false,
    );
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { progress?: string; current?: number; total?: number })
      .filter((e) => e.progress?.startsWith('pushing '));
    const layer = progress.filter((e) => (e.total ?? 0) > 3_000_000);
    expect(layer.length, r.stderr).toBeGreaterThan(2);
    const currents = layer.map((e) => e.current ?? 0);
    expect([...currents].sort((a, b) => a - b)).toEqual(currents);
    expect(currents.at(-1)).toBe(layer[0]?.total);
    expect(layer[0]?.progress).toContain(`to ${reg().host}/cli-progress/push:1`);
  });

  it('on a pseudo-terminal (script -qfc): the status line is redrawn in place while RUN works', async () => {
    const log = join(work, 'typescript');
    const cmd = [join(repoRoot, 'node_modules', '.bin', 'node'), cli, ...buildArgs('tty')]
      .map((a) => `'${a}'`)
      .join(' ');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, TERM: 'xterm', COLUMNS: '100' };
    const out = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qfc', cmd, log], { env, timeout: 120_000 }, (error, stdout) =>
        error ? reject(new Error(`${error.message}\n${stdout}`)) : resolve(stdout),
      ),
    );
    // the RUN sleeps 0.6 s: the ticker redraws its status line several times meanwhile
    const runStatus = out.split(REDRAW).filter((s) => /step 2\/3 RUN echo first-output/.test(s));
    expect(runStatus.length, out).toBeGreaterThanOrEqual(2);
    expect(out).toMatch(/✔.* \[stage 1 1\/3\] COPY app.txt \/app\/ .*layer/);
    expect(out).toMatch(/✔.* \[stage 1 3\/3\] ENV A=1 /);
    expect(out).toContain('│ first-output');
    expect(out).toContain('\x1b[2m'); // dimmed RUN output
    expect(out).toMatch(/digest=sha256:[0-9a-f]{64}/);
    // and the image really was pushed
    const inspect = await skopeo([
      'inspect',
      '--tls-verify=false',
      `docker://${reg().host}/cli-progress/tty:1`,
    ]);
    expect(inspect.stdout).toContain('"Digest"');
  });

  it('the bundled CLI builds when the native xattr binary cannot load (arm64 with the x64 bundle)', async () => {
    const bundled = (env: Record<string, string>) =>
      runChecked(
        join(repoRoot, 'node_modules', '.bin', 'node'),
        [cli, ...buildArgs('xattr', ['--no-push'])],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, CI: 'true', ...env },
        },
      );
    // napi-rs' loader tries only this path when it is set, and throws as on a platform with no binary
    const fallback = await bundled({ NAPI_RS_NATIVE_LIBRARY_PATH: join(work, 'missing', 'xattr.node') });
    expect(fallback.stderr).toMatch(/WARN +xattrs: getfattr\/setfattr \(no native binding for linux-/);
    expect(fallback.stdout).toMatch(/digest=sha256:/);
    const native = await bundled({});
    expect(native.stderr).not.toContain('xattrs');
    expect(native.stdout).toMatch(/digest=sha256:/);
  });

  it('KANIKO_NO_PUSH=true builds without pushing, as kaniko', async () => {
    const r = await inProcess(buildArgs('no-push-env'), { CI: 'true', KANIKO_NO_PUSH: 'true' }, false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/digest=sha256:/);
    const tags = await skopeo([
      'list-tags',
      '--tls-verify=false',
      `docker://${reg().host}/cli-progress/no-push-env`,
    ]).catch((e: Error) => e);
    expect(tags instanceof Error ? tags.message : tags.stdout).not.toMatch(/"1"/);
  });
});

describe('createLiveProgress', () => {
  it('prints finished steps above the status line and erases it before other output', () => {
    let out = '';
    let now = 0;
    const live = createLiveProgress({ write: (s) => (out += s), now: () => now, tickMs: 0, columns: 80 });
    live.event('stage 0: FROM x', { event: 'stage', stage: 0, base: 'x', instructions: 4 });
    live.event('s', { event: 'instruction-start', stage: 0, line: 2, text: 'RUN make' });
    now = 1500;
    live.redraw();
    expect(out.split(REDRAW).at(-1)).toMatch(/\[1 stage 1\] step 1\/4 RUN make.* 1\.5s \(total 1\.5s\)/);
    live.event('built', { event: 'output', stream: 'stdout' });
    live.event('done', {
      event: 'instruction-end',
      stage: 0,
      line: 2,
      text: 'RUN make',
      durationMs: 1500,
      cached: true,
    });
    const tail = out.slice(out.lastIndexOf('built'));
    expect(tail).toMatch(/CACHED/);
    expect(out.endsWith('\n')).toBe(true); // nothing running: no status line left
    expect(live.event('x', { event: 'other' })).toBe(false);
    live.close();
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec, type StepContext, verifySpec } from '@kaniko-ts/steps';
import { describe, expect, it } from 'vitest';
import { actionsBuildCache, buildCacheKeys, type CacheApi } from '../build-cache.js';
import { type ActionsCore, createGithubContext, summaryMarkdown } from '../github-context.js';
import { githubInputs } from '../github-inputs.js';

function recordingCore() {
  const calls: [string, ...unknown[]][] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  const core = {
    debug: rec('debug'),
    info: rec('info'),
    warning: rec('warning'),
    error: rec('error'),
    setSecret: rec('setSecret'),
    setOutput: rec('setOutput'),
    exportVariable: rec('exportVariable'),
    setFailed: rec('setFailed'),
    isDebug: () => false,
    group: async <T>(name: string, fn: () => Promise<T>) => {
      calls.push(['group', name]);
      return fn();
    },
    getIDToken: async () => 'token',
    summary: {} as ActionsCore['summary'],
  } as unknown as ActionsCore;
  return { core, calls };
}

describe('GitHub context', () => {
  it('puts Dockerfile warnings on the file and line, relative to the workspace', () => {
    const { core, calls } = recordingCore();
    const { ctx } = createGithubContext(core, { GITHUB_WORKSPACE: '/home/runner/work/app' }, '/tmp');
    ctx.log.warn('JSON arguments recommended for CMD', {
      file: '/home/runner/work/app/docker/Dockerfile',
      line: 7,
    });
    expect(calls).toContainEqual([
      'warning',
      'JSON arguments recommended for CMD',
      { file: 'docker/Dockerfile', startLine: 7 },
    ]);
  });

  it('masks every line of a multi-line secret (PEM keys)', () => {
    const { core, calls } = recordingCore();
    const { ctx } = createGithubContext(core, {}, '/tmp');
    ctx.maskSecret('-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n');
    expect(calls.filter((c) => c[0] === 'setSecret').map((c) => c[1])).toEqual([
      '-----BEGIN KEY-----',
      'AAAA',
      '-----END KEY-----',
    ]);
  });

  it('asks for the token only when the job was granted one', async () => {
    const { core } = recordingCore();
    const denied = createGithubContext(core, {}, '/tmp').ctx;
    await expect(denied.identity.getIdToken('sigstore')).rejects.toMatchObject({ code: 'OIDC_UNAVAILABLE' });
    const granted = createGithubContext(
      core,
      { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' },
      '/tmp',
    ).ctx;
    await expect(granted.identity.getIdToken('sigstore')).resolves.toBe('token');
  });

  it('renders summary tables, escaping pipes', () => {
    const md = summaryMarkdown('build', [{ title: 'Image', rows: [['tags', 'a|b']] }]);
    expect(md).toContain('### Image');
    expect(md).toContain('| tags | a\\|b |');
  });
});

describe('GitHub inputs', () => {
  it('reads INPUT_ variables with dashes kept', () => {
    expect(
      githubInputs(buildSpec, { 'INPUT_BUILD-ARGS': 'A=1', INPUT_TAGS: 'r/a:1', INPUT_PUSH: '' }),
    ).toEqual({
      'build-args': 'A=1',
      tags: 'r/a:1',
    });
  });

  it('defaults verify to this repository signing with GitHub OIDC', () => {
    const raw = githubInputs(verifySpec, { INPUT_IMAGE: 'r/a', GITHUB_REPOSITORY: 'org/app.v2' });
    expect(raw['certificate-oidc-issuer']).toBe('https://token.actions.githubusercontent.com');
    expect(
      new RegExp(raw['certificate-identity-regexp'] ?? '').test(
        'https://github.com/org/app.v2/.github/workflows/release.yml@refs/heads/main',
      ),
    ).toBe(true);
    expect(new RegExp(raw['certificate-identity-regexp'] ?? '').test('https://github.com/org/appXv2/x')).toBe(
      false,
    );
    const explicit = githubInputs(verifySpec, {
      INPUT_IMAGE: 'r/a',
      INPUT_KEY: 'PEM',
      GITHUB_REPOSITORY: 'org/app',
    });
    expect(explicit['certificate-identity-regexp']).toBeUndefined();
  });
});

describe('build layer cache', () => {
  function project() {
    const dir = mkdtempSync(join(tmpdir(), 'cache-keys-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY src /src\n');
    writeFileSync(join(dir, 'src', 'a.txt'), 'one');
    return dir;
  }

  it('keys on the Dockerfile and the context, falling back by prefix', async () => {
    const dir = project();
    const opts = { context: dir, dockerfile: join(dir, 'Dockerfile'), platform: 'linux/amd64' };
    const a = await buildCacheKeys(opts);
    writeFileSync(join(dir, 'src', 'a.txt'), 'two');
    const b = await buildCacheKeys(opts);
    expect(b.key).not.toBe(a.key);
    expect(b.restoreKeys[0]).toBe(a.restoreKeys[0]);
    expect(a.key.startsWith(a.restoreKeys[0] ?? '?')).toBe(true);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    const c = await buildCacheKeys(opts);
    expect(c.restoreKeys[0]).not.toBe(a.restoreKeys[0]);
    expect(c.restoreKeys[1]).toBe('kaniko-ts-linux-amd64-');
  });

  it('restores before and saves after, and only warns when the cache service fails', async () => {
    const dir = project();
    const log: string[] = [];
    const ctx = {
      workspace: dir,
      tempDir: dir,
      env: { RUNNER_TEMP: dir },
      log: { info: (m: string) => log.push(`info ${m}`), warn: (m: string) => log.push(`warn ${m}`) },
    } as unknown as StepContext;
    const saved: string[] = [];
    const api: CacheApi = {
      isFeatureAvailable: () => true,
      restoreCache: async () => undefined,
      saveCache: async (_paths, key) => {
        saved.push(key);
        throw new Error('429 too many requests');
      },
    };
    const hooks = actionsBuildCache(api, 'linux/amd64');
    const inputs: Record<string, unknown> = { cache: true, context: '.', platform: '' };
    await hooks.before(ctx, inputs);
    expect(inputs['cache-dir']).toBe(join(dir, 'kaniko-ts-cache'));
    await hooks.after(ctx);
    expect(saved).toHaveLength(1);
    expect(log.at(-1)).toBe('warn layer cache: save failed: 429 too many requests');
  });

  it('stays out of the way with a registry cache repo', async () => {
    const calls: string[] = [];
    const api: CacheApi = {
      isFeatureAvailable: () => true,
      restoreCache: async () => {
        calls.push('restore');
        return undefined;
      },
      saveCache: async () => 0,
    };
    const inputs: Record<string, unknown> = { cache: true, 'cache-repo': 'r/cache', context: '.' };
    await actionsBuildCache(api, 'linux/amd64').before({} as StepContext, inputs);
    expect(calls).toEqual([]);
    expect(inputs['cache-dir']).toBeUndefined();
  });
});

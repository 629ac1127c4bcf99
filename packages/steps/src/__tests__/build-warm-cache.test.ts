import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { buildSpec } from '../build/spec.js';
import { buildStep } from '../steps.js';
import { fakeContext } from './fake-context.js';
import { stepInputs } from './step-inputs.js';

/** Every request the registry client sends while `fn` runs (undici's diagnostics channel), as `METHOD path`. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string } };
    seen.push(`${request.method} ${request.path.split('?')[0]}`);
  };
  subscribe('undici:request:create', listener);
  try {
    await fn();
  } finally {
    unsubscribe('undici:request:create', listener);
  }
  return seen;
}

const skopeo = (...args: string[]) => execFileSync('skopeo', [...args, '--tls-verify=false']).toString();

/**
 * A warm `--cache --cache-dir` build through the build step, against a real registry: the base
 * image's config comes from `<cache-dir>/registry` (the tag is still resolved by the registry), the
 * image's config goes into the permission check's upload session without a HEAD, and the rebuild,
 * the same image, puts no manifest.
 */
describe('build step, warm with --cache-dir', () => {
  let registry: RunningRegistry;
  let context: string;
  let cacheDir: string;
  let baseConfig: string;

  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    const base = mkdtempSync(join(tmpdir(), 'warm-base-'));
    writeFileSync(join(base, 'hello.txt'), 'hello\n');
    writeFileSync(join(base, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nENV FROM_BASE=yes\n');
    const { ctx } = fakeContext();
    await buildStep.run(
      ctx,
      stepInputs(buildSpec, { insecure: 'true', context: base, tags: `${registry.host}/demo/base:1` }),
    );
    baseConfig = JSON.parse(skopeo('inspect', '--raw', `docker://${registry.host}/demo/base:1`)).config
      .digest;
    context = mkdtempSync(join(tmpdir(), 'warm-app-'));
    writeFileSync(join(context, 'app.txt'), 'app\n');
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${registry.host}/demo/base:1\nCOPY app.txt /app.txt\nLABEL app=1\n`,
    );
    cacheDir = mkdtempSync(join(tmpdir(), 'warm-cache-'));
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const build = async () => {
    const { ctx } = fakeContext();
    let out: Awaited<ReturnType<typeof buildStep.run>> | undefined;
    const requests = await requestsDuring(async () => {
      out = await buildStep.run(
        ctx,
        stepInputs(buildSpec, {
          insecure: 'true',
          context,
          tags: `${registry.host}/demo/app:1`,
          cache: 'true',
          'cache-dir': cacheDir,
        }),
      );
    });
    const config = JSON.parse(skopeo('inspect', '--config', '--raw', `docker://${registry.host}/demo/app:1`));
    return { out, requests, config };
  };
  const baseConfigGet = () => `GET /v2/demo/base/blobs/${baseConfig}`;
  const cachedFile = () => join(cacheDir, 'registry', 'sha256', baseConfig.slice('sha256:'.length));

  it('reads the base config from the cache dir on a rebuild; the base tag is still resolved remotely', async () => {
    const cold = await build();
    expect(cold.requests).toContain(baseConfigGet());
    expect(readFileSync(cachedFile()).length).toBeGreaterThan(0);
    const warm = await build();
    expect(warm.requests).not.toContain(baseConfigGet());
    expect(warm.requests).toContain('GET /v2/demo/base/manifests/1');
    expect(warm.config.config.Env).toContain('FROM_BASE=yes');
    expect(warm.config.config.Labels).toEqual({ app: '1' });
    // the same content is the same image: its config went into the kept upload session with no
    // HEAD of its own, and the manifest the tag names already was not put again
    const config = JSON.parse(skopeo('inspect', '--raw', `docker://${registry.host}/demo/app:1`)).config
      .digest;
    expect(warm.out?.digest).toBe(cold.out?.digest);
    expect(warm.requests).not.toContain(`HEAD /v2/demo/app/blobs/${config}`);
    expect(warm.requests.filter((r) => r.startsWith('POST /v2/demo/app/blobs/uploads'))).toHaveLength(1);
    expect(warm.requests).toContain('HEAD /v2/demo/app/manifests/1');
    expect(warm.requests).not.toContain('PUT /v2/demo/app/manifests/1');
    expect(cold.requests).toContain('PUT /v2/demo/app/manifests/1');
  });

  it('detects a tampered cached base config by its digest, fetches it again and repairs the file', async () => {
    await build();
    const good = readFileSync(cachedFile(), 'utf8');
    writeFileSync(cachedFile(), good.replace('FROM_BASE=yes', 'FROM_BASE=no!'));
    const rebuilt = await build();
    expect(rebuilt.requests).toContain(baseConfigGet());
    expect(rebuilt.config.config.Env).toContain('FROM_BASE=yes');
    expect(readFileSync(cachedFile(), 'utf8')).toBe(good);
  });
});

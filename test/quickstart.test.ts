import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { podman } from './harness/index.js';

/**
 * The README's quick start, run as a new user would after `npm ci` (npm test builds the packages
 * first): build the embedded example into an OCI layout, sign it with a generated key, verify it —
 * offline — and the result runs under podman.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
let out: string;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

it('npm run quickstart builds, signs and verifies the embedded default, and the image runs', async () => {
  await mkdir(join(root, 'out'), { recursive: true });
  // lower-case: the image input is validated like a registry reference
  out = join(root, 'out', `test-quickstart-${process.pid}`);
  await rm(out, { recursive: true, force: true });
  const r = spawnSync(process.execPath, ['scripts/quickstart.mjs'], {
    cwd: root,
    env: { ...process.env, KANIKO_TS_QUICKSTART_OUT: relative(root, out) },
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toContain('verified=true');
  expect(r.stdout).not.toContain('kaniko-ts-quick-start-password');
  const index = JSON.parse(await readFile(join(out, 'quickstart', 'index.json'), 'utf8'));
  expect(index.manifests.length).toBeGreaterThanOrEqual(2); // the image and its signature
  const run = await podman(['run', '--rm', '--network=host', `oci:${join(out, 'quickstart')}:latest`]);
  expect(run.exitCode, run.stderr).toBe(0);
  expect(run.stdout).toBe('Hello from an image kaniko-ts built without a daemon!\n');
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podmanRun } from '../../../test/harness/podman.js';
import { type RunningRegistry, startRegistry } from '../../../test/harness/registry.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The executor image, built by kaniko-ts itself (the CLI inside the context builds it), then run. */
describe('executor image', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('is built by its own CLI and runs kaniko-ts with a shell, as a GitLab job would', async () => {
    const context = mkdtempSync(join(tmpdir(), 'executor-'));
    execFileSync(process.execPath, [join(root, 'scripts', 'gen-executor-context.mjs'), context]);
    const ref = `${registry.host}/kaniko-ts/executor:test`;
    const out = execFileSync(
      process.execPath,
      [
        join(context, 'rootfs', 'kaniko-ts', 'kaniko-ts.mjs'),
        'build',
        '-c',
        context,
        '-d',
        ref,
        '--insecure',
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: context } },
    );
    expect(out).toMatch(/^digest=sha256:[a-f0-9]{64}$/m);
    const version = await podmanRun(ref, ['sh', '-c', 'kaniko-ts --version && test -w /tmp && echo tmp-ok'], {
      pull: 'always',
      timeoutMs: 120_000,
    });
    expect(version.stdout).toBe('kaniko-ts 0.1.0\ntmp-ok\n');
    const help = await podmanRun(ref, ['kaniko-ts', 'verify', '--help'], {
      pull: 'never',
      timeoutMs: 60_000,
    });
    expect(help.stdout).toContain('Usage: kaniko-ts verify [flags]');
  });
});

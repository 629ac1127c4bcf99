import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { buildSpec } from '../build/spec.js';
import { buildStep } from '../steps.js';
import { fakeContext } from './fake-context.js';
import { stepInputs } from './step-inputs.js';

/** The build step through @kaniko-ts/builder against a real registry, checked with skopeo. */
describe('build step', () => {
  let registry: RunningRegistry;
  let context: string;

  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    context = mkdtempSync(join(tmpdir(), 'build-step-'));
    mkdirSync(join(context, 'app'));
    writeFileSync(join(context, 'app', 'hello.txt'), 'hello\n');
    writeFileSync(
      join(context, 'Dockerfile'),
      'FROM scratch\nCOPY app/hello.txt /hello.txt\nLABEL stage=test\nCMD ["/hello"]\n',
    );
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const inputs = (raw: Record<string, string>) => stepInputs(buildSpec, { insecure: 'true', ...raw });

  it('builds and pushes; outputs name the digest skopeo sees, warnings point at the Dockerfile', async () => {
    const { ctx, record } = fakeContext();
    const out = await buildStep.run(
      ctx,
      inputs({
        context,
        tags: `${registry.host}/demo/app:1`,
        labels: 'org.opencontainers.image.source=https://x',
      }),
    );
    const raw = execFileSync('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/demo/app:1`,
    ]);
    expect(out.digest).toBe(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    expect(out['image-ref']).toBe(`${registry.host}/demo/app@${out.digest}`);
    expect(out.image).toBe(`${registry.host}/demo/app`);
    const config = JSON.parse(
      execFileSync('skopeo', [
        'inspect',
        '--tls-verify=false',
        `docker://${registry.host}/demo/app:1`,
      ]).toString(),
    ) as { Labels: Record<string, string> };
    expect(config.Labels).toEqual({ stage: 'test', 'org.opencontainers.image.source': 'https://x' });
    const metadata = JSON.parse(out.metadata) as { 'containerimage.digest': string; instructions: unknown[] };
    expect(metadata['containerimage.digest']).toBe(out.digest);
    expect(metadata.instructions).toHaveLength(3);
    expect(record.warnings.some((w) => w.file?.endsWith('Dockerfile') && typeof w.line === 'number')).toBe(
      true,
    );
    expect(record.summaries[0]?.rows).toContainEqual(['digest', out.digest]);
  });

  it('dry run prints a plan and pushes nothing; sign without a push is skipped with a warning', async () => {
    const { ctx, record } = fakeContext();
    const out = await buildStep.run(
      ctx,
      inputs({ context, tags: `${registry.host}/demo/dry:1`, 'dry-run': 'true', sign: 'true' }),
    );
    expect(out.digest).toBe('');
    expect(out['image-ref']).toBe('');
    expect(record.warnings.map((w) => w.message)).toContain('sign and sbom need a pushed image: skipped');
    // The repository does not exist: nothing was pushed.
    const tags = spawnSync(
      'skopeo',
      ['list-tags', '--tls-verify=false', `docker://${registry.host}/demo/dry`],
      {
        encoding: 'utf8',
      },
    );
    expect(tags.status).not.toBe(0);
    expect(tags.stderr).toContain('404');
  });
});

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { randomImage } from '@kaniko-ts/oci';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { indexSpec } from '../index/spec.js';
import { indexStep } from '../steps.js';
import { fakeContext } from './fake-context.js';
import { stepInputs } from './step-inputs.js';

/** The index step against a real registry (distribution 2.8), checked with skopeo. */
describe('index step', () => {
  let registry: RunningRegistry;
  const sources: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    const client = new RegistryClient({ insecureRegistries: [registry.host] });
    for (const [seed, architecture] of [
      [1, 'amd64'],
      [2, 'arm64'],
    ] as const) {
      const image = await randomImage({ seed, layers: 1, platform: { os: 'linux', architecture } });
      const digest = await client.pushImage(`${registry.host}/team/app:${architecture}`, image);
      sources.push(`${registry.host}/team/app@${digest}`);
    }
    await client.close();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const inputs = (raw: Record<string, string>) => stepInputs(indexSpec, { insecure: 'true', ...raw });

  it('merges per-platform digests into one index pushed by tag, readable by skopeo', async () => {
    const { ctx, record } = fakeContext();
    const out = await indexStep.run(
      ctx,
      inputs({
        sources: sources.join('\n'),
        tags: `${registry.host}/team/app:1.0,${registry.host}/team/app:latest`,
      }),
    );
    expect(out.platforms).toBe('linux/amd64,linux/arm64');
    expect(out['image-ref']).toBe(`${registry.host}/team/app@${out.digest}`);
    const raw = execFileSync('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/team/app:latest`,
    ]);
    const index = JSON.parse(raw.toString()) as { mediaType: string; manifests: { digest: string }[] };
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => `${registry.host}/team/app@${m.digest}`)).toEqual(sources);
    for (const tag of ['1.0', 'latest']) {
      const bytes = execFileSync('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/team/app:${tag}`,
      ]);
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(out.digest);
    }
    expect(record.summaries[0]?.rows).toContainEqual(['platforms', 'linux/amd64, linux/arm64']);
  });

  it('refuses two sources of the same platform', async () => {
    const { ctx } = fakeContext();
    await expect(
      indexStep.run(
        ctx,
        inputs({ sources: `${sources[0]},${sources[0]}`, tags: `${registry.host}/team/app:dup` }),
      ),
    ).rejects.toThrow(/are both linux\/amd64/);
  });
});

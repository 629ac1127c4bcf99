import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateKeyPairSpec } from '../generate-key-pair/spec.js';
import { parseInputs } from '../parse-inputs.js';
import { policySpec } from '../policy/spec.js';
import type { InferInputs } from '../step-spec.js';
import { generateKeyPairStep, policyStep } from '../steps.js';
import { fakeContext } from './fake-context.js';

describe('generate-key-pair', () => {
  it('writes an encrypted private key (0600) and its public key, and never overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const { ctx } = fakeContext();
    const inputs = parseInputs(
      generateKeyPairSpec,
      { 'output-key-prefix': join(dir, 'cosign') },
      { COSIGN_PASSWORD: 'pw' },
    ).values as InferInputs<typeof generateKeyPairSpec>;
    const out = await generateKeyPairStep.run(ctx, inputs);
    expect(out['private-key-path']).toBe(join(dir, 'cosign.key'));
    expect(readFileSync(out['private-key-path'], 'utf8')).toContain(
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----',
    );
    expect(statSync(out['private-key-path']).mode & 0o777).toBe(0o600);
    const pub = createPublicKey(readFileSync(out['public-key-path'], 'utf8'));
    expect(pub.asymmetricKeyType).toBe('ec');
    expect(() => createPrivateKey(readFileSync(out['private-key-path'], 'utf8'))).toThrow();
    await expect(generateKeyPairStep.run(ctx, inputs)).rejects.toThrow(/exists; not overwriting/);
  });
});

describe('policy', () => {
  const run = async (raw: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const { ctx } = fakeContext();
    const inputs = parseInputs(policySpec, { output: join(dir, 'policy.yaml'), ...raw })
      .values as InferInputs<typeof policySpec>;
    const out = await policyStep.run(ctx, inputs);
    return parse(readFileSync(out['policy-path'], 'utf8')) as {
      kind: string;
      metadata: { name: string };
      spec: unknown;
    };
  };

  it('writes a Kyverno ClusterPolicy for the pipeline identity', async () => {
    const policy = await run({
      images: 'ghcr.io/org/app*',
      'certificate-identity-regexp': '^https://github.com/org/app/',
      'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
      'require-attestation': 'spdx',
    });
    expect(policy.kind).toBe('ClusterPolicy');
    expect(policy.metadata.name).toBe('kaniko-ts-signed-images');
    const text = JSON.stringify(policy.spec);
    expect(text).toContain('ghcr.io/org/app*');
    expect(text).toContain('https://token.actions.githubusercontent.com');
    expect(text).toContain('https://spdx.dev/Document');
  });

  it('writes a policy-controller ClusterImagePolicy when asked', async () => {
    const policy = await run({
      images: 'registry.gitlab.com/g/app*',
      'certificate-identity': 'https://gitlab.com/g/app//.gitlab-ci.yml@refs/heads/main',
      'certificate-oidc-issuer': 'https://gitlab.com',
      format: 'policy-controller',
      name: 'gitlab-signed',
    });
    expect(policy.kind).toBe('ClusterImagePolicy');
    expect(policy.metadata.name).toBe('gitlab-signed');
    expect(JSON.stringify(policy.spec)).toContain('https://gitlab.com/g/app//.gitlab-ci.yml@refs/heads/main');
  });
});

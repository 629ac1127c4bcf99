import { describe, expect, it } from 'vitest';
import { toBuildRequest } from '../build/build-request.js';
import { buildSpec } from '../build/spec.js';
import { toIndexRequest } from '../index/run.js';
import { indexSpec } from '../index/spec.js';
import { pickInputs } from '../internal/pick-inputs.js';
import { toSigningOptions } from '../internal/signer-options.js';
import { signSpec } from '../sign/spec.js';
import type { StepSpec } from '../step-spec.js';
import { allSteps, buildStep, findStep, signStep } from '../steps.js';
import { toVerifyRequest } from '../verify/run.js';
import { verifySpec } from '../verify/spec.js';
import { fakeContext } from './fake-context.js';
import { stepInputs } from './step-inputs.js';

describe('step specs', () => {
  it('give every input and output a description and a unique CLI flag', () => {
    for (const { spec } of allSteps) {
      const flags = new Map<string, string>();
      for (const [name, input] of Object.entries(spec.inputs)) {
        expect(input.description.length, `${spec.name}.${name}`).toBeGreaterThan(5);
        for (const f of [
          input.flag ?? name,
          ...(input.aliases ?? []),
          ...(input.short ? [input.short] : []),
        ]) {
          expect(flags.get(f), `${spec.name}: flag ${f} used by ${flags.get(f)} and ${name}`).toBeUndefined();
          flags.set(f, name);
        }
      }
      for (const [name, output] of Object.entries(spec.outputs)) {
        expect(output.description.length, `${spec.name} output ${name}`).toBeGreaterThan(5);
        if (output.env !== undefined) expect(output.env).toMatch(/^KANIKO_TS_[A-Z_]+$/);
      }
    }
  });

  it('use kaniko executor flag names for the build step', () => {
    const flags = new Set(
      Object.entries(buildSpec.inputs as StepSpec['inputs']).flatMap(([n, i]) => [
        i.flag ?? n,
        ...(i.aliases ?? []),
      ]),
    );
    for (const kaniko of [
      'context',
      'dockerfile',
      'destination',
      'tar-path',
      'oci-layout-path',
      'build-arg',
      'target',
      'label',
      'insecure',
      'skip-tls-verify',
      'registry-mirror',
      'registry-map',
      'registry-certificate',
      'reproducible',
      'custom-platform',
      'compression',
      'cache',
      'cache-repo',
      'cache-dir',
      'cache-ttl',
      'digest-file',
      'image-name-with-digest-file',
      'image-name-tag-with-digest-file',
      'skip-push-permission-check',
      'secret',
      'dryrun',
      'snapshot-mode',
    ]) {
      expect(flags.has(kaniko), kaniko).toBe(true);
    }
  });

  it('are found by name', () => {
    expect(findStep('build')?.spec).toBe(buildStep.spec);
    expect(findStep('nope')).toBeUndefined();
  });
});

describe('build', () => {
  it('maps inputs to an absolute-path library request', () => {
    const { ctx } = fakeContext({ env: { TOKEN: 'from-env' } });
    const request = toBuildRequest(
      ctx,
      stepInputs(buildSpec, {
        context: 'app',
        file: 'app/Containerfile',
        tags: ['r.example/team/app:1', 'r.example/team/app:latest'],
        'build-args': 'A=1,2\nTOKEN',
        labels: 'org.opencontainers.image.source=https://x',
        secrets: 'id=npm,src=.npmrc\nid=gh,env=GH_TOKEN',
        'registry-map': 'index.docker.io=mirror.local;quay.io=q.local',
        'cache-dir': '.cache',
        'digest-file': '/dev/termination-log',
        push: 'false',
      }),
    );
    expect(request.context).toBe('/work/space/app');
    expect(request.dockerfile).toBe('/work/space/app/Containerfile');
    expect(request.destinations).toEqual(['r.example/team/app:1', 'r.example/team/app:latest']);
    expect(request.buildArgs).toEqual({ A: '1,2', TOKEN: 'from-env' });
    expect(request.labels).toEqual({ 'org.opencontainers.image.source': 'https://x' });
    expect(request.secrets).toEqual({ npm: { src: '.npmrc' }, gh: { env: 'GH_TOKEN' } });
    expect(request.registry.registryMap).toEqual({
      'index.docker.io': ['mirror.local'],
      'quay.io': ['q.local'],
    });
    expect(request.cache.dir).toBe('/work/space/.cache');
    expect(request.digestFile).toBe('/dev/termination-log');
    expect(request.push).toBe(false);
    expect(request.target).toBeUndefined();
  });

  it('reuses the sign step: the inputs it passes on parse as valid sign inputs', () => {
    const build = stepInputs(buildSpec, {
      tags: 'r/app:1',
      sign: 'true',
      'rekor-url': 'https://rekor.local',
    });
    const sign = pickInputs(signSpec, build, { image: 'r/app@sha256:abc', annotations: [] });
    expect(Object.keys(sign).sort()).toEqual(Object.keys(signSpec.inputs).sort());
    expect(sign['rekor-url']).toBe('https://rekor.local');
    expect(sign.image).toBe('r/app@sha256:abc');
  });
});

describe('signing options', () => {
  it('fetches a sigstore-audience token for keyless signing and masks it', async () => {
    const { ctx, record } = fakeContext({ token: 'eyJ.token' });
    const options = await toSigningOptions(
      ctx,
      'sign',
      stepInputs(signSpec, {
        image: 'r/a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      }),
    );
    expect(options.signer).toEqual({
      kind: 'keyless',
      identityToken: 'eyJ.token',
      fulcioUrl: 'https://fulcio.sigstore.dev',
    });
    expect(record.audiences).toEqual(['sigstore']);
    expect(record.masked).toContain('eyJ.token');
    expect(options.rekorUrl).toBe('https://rekor.sigstore.dev');
  });

  it('prefers a key and never asks for a token then', async () => {
    const { ctx, record } = fakeContext();
    const options = await toSigningOptions(
      ctx,
      'sign',
      stepInputs(
        signSpec,
        { image: 'r/a', 'tlog-upload': 'false' },
        { COSIGN_PRIVATE_KEY: 'PEM', COSIGN_PASSWORD: 'pw' },
      ),
    );
    expect(options.signer).toEqual({ kind: 'key', privateKey: 'PEM', password: 'pw' });
    expect(options.rekorUrl).toBeUndefined();
    expect(record.audiences).toEqual([]);
  });

  it('refuses keyless signing without a log or timestamp authority', async () => {
    const { ctx } = fakeContext({ token: 't' });
    await expect(
      toSigningOptions(ctx, 'sign', stepInputs(signSpec, { image: 'r/a', 'tlog-upload': 'false' })),
    ).rejects.toThrow(/needs rekor/);
  });

  it('the sign step surfaces the identity provider failure', async () => {
    const { ctx } = fakeContext();
    await expect(
      signStep.run(
        ctx,
        stepInputs(signSpec, {
          image: 'r/a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        }),
      ),
    ).rejects.toThrow(/no token/);
  });
});

describe('verify and index', () => {
  it('requires an identity and expands predicate short names', () => {
    const { ctx } = fakeContext();
    expect(() => toVerifyRequest(ctx, stepInputs(verifySpec, { image: 'r/a' }))).toThrow(
      /certificate-identity/,
    );
    const request = toVerifyRequest(
      ctx,
      stepInputs(verifySpec, {
        image: 'r/a',
        'certificate-identity-regexp': '^https://github.com/org/',
        'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
        'require-attestation': 'spdx, https://example.com/custom',
      }),
    );
    expect(request.requiredAttestations).toEqual(['https://spdx.dev/Document', 'https://example.com/custom']);
    expect(request.identity).toEqual({
      kind: 'certificate',
      identityRegexp: '^https://github.com/org/',
      issuer: 'https://token.actions.githubusercontent.com',
    });
  });

  it('accepts only digest-pinned sources for an index', () => {
    const { ctx } = fakeContext();
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(() => toIndexRequest(ctx, stepInputs(indexSpec, { sources: 'r/a:amd64', tags: 'r/a:1' }))).toThrow(
      /not pinned by digest: r\/a:amd64/,
    );
    expect(
      toIndexRequest(ctx, stepInputs(indexSpec, { sources: `r/a@${digest}`, tags: 'r/a:1' })).sources,
    ).toEqual([`r/a@${digest}`]);
  });
});

import { buildSpec, indexSpec, signSpec, verifySpec } from '@kaniko-ts/steps';
import { describe, expect, it } from 'vitest';
import { dotenvVariables, renderDotenv } from '../dotenv.js';
import { gitlabInputs, inputVariable } from '../gitlab-inputs.js';
import { withGitlabRegistryAuth } from '../registry-auth.js';
import { defaultVerifyIdentity } from '../verify-identity.js';

const job = {
  CI_SERVER_HOST: 'gitlab.example.com',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_PROJECT_PATH: 'group/app',
  CI_COMMIT_REF_NAME: 'main',
};

describe('dotenv report', () => {
  it('keeps only flat, single-line KANIKO_TS_* values, first line of multi-line refs', () => {
    const vars = dotenvVariables(buildSpec, {
      image: 'r/app',
      digest: 'sha256:1',
      'image-ref': 'r/app@sha256:1',
      metadata: '{"big":"json"}',
      tags: 'r/app:1\nr/app:latest',
      'signature-ref': 'r/app:sha256-1.sig\nr/app@sha256:2',
      platform: '',
    });
    expect(vars).toEqual({
      KANIKO_TS_IMAGE: 'r/app',
      KANIKO_TS_DIGEST: 'sha256:1',
      KANIKO_TS_IMAGE_REF: 'r/app@sha256:1',
      KANIKO_TS_SIGNATURE_REF: 'r/app:sha256-1.sig',
    });
    expect(renderDotenv(vars)).toBe(
      'KANIKO_TS_IMAGE=r/app\nKANIKO_TS_DIGEST=sha256:1\nKANIKO_TS_IMAGE_REF=r/app@sha256:1\nKANIKO_TS_SIGNATURE_REF=r/app:sha256-1.sig\n',
    );
  });

  it('suffixes names when one pipeline runs a job per platform', () => {
    expect(Object.keys(dotenvVariables(buildSpec, { digest: 'sha256:1' }, '_ARM64'))).toEqual([
      'KANIKO_TS_DIGEST_ARM64',
    ]);
  });

  it('refuses what GitLab would reject: newlines, bad keys, more than 20 variables or 5 KB', () => {
    expect(() => renderDotenv({ A: 'x\ny' })).toThrow(/multi-line/);
    expect(() => renderDotenv({ 'A-B': 'x' })).toThrow(/invalid key/);
    expect(() =>
      renderDotenv(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`V${i}`, 'x']))),
    ).toThrow(/21 variables/);
    expect(() => renderDotenv({ A: 'x'.repeat(5200) })).toThrow(/bytes/);
  });

  it('every step stays within the limits with all outputs set', () => {
    for (const spec of [buildSpec, signSpec, verifySpec, indexSpec]) {
      const outputs = Object.fromEntries(
        Object.keys(spec.outputs).map((k) => [k, `registry.example.com/g/p@sha256:${'f'.repeat(64)}`]),
      );
      const text = renderDotenv(dotenvVariables(spec, outputs, '_ARM64'));
      expect(Buffer.byteLength(text)).toBeLessThan(5 * 1024);
    }
  });
});

describe('inputs from component variables', () => {
  it('reads KANIKO_TS_INPUT_* and expands late variables', () => {
    expect(inputVariable('cache-repo')).toBe('KANIKO_TS_INPUT_CACHE_REPO');
    const raw = gitlabInputs(signSpec, {
      KANIKO_TS_INPUT_IMAGE: '$KANIKO_TS_IMAGE_REF',
      KANIKO_TS_IMAGE_REF: 'r/app@sha256:1',
      KANIKO_TS_INPUT_TSA_URL: '',
    });
    expect(raw).toEqual({ image: 'r/app@sha256:1' });
  });

  it('verifies against the documented pipeline identity by default', () => {
    expect(defaultVerifyIdentity(job)).toEqual({
      identity: 'https://gitlab.example.com/group/app//.gitlab-ci.yml@refs/heads/main',
      issuer: 'https://gitlab.example.com',
    });
    expect(
      defaultVerifyIdentity({ ...job, CI_COMMIT_TAG: 'v1.2.0', CI_CONFIG_PATH: 'ci/main.yml' })?.identity,
    ).toBe('https://gitlab.example.com/group/app//ci/main.yml@refs/tags/v1.2.0');
    const raw = gitlabInputs(verifySpec, { ...job, KANIKO_TS_INPUT_IMAGE: 'r/a' });
    expect(raw['certificate-identity']).toBe(
      'https://gitlab.example.com/group/app//.gitlab-ci.yml@refs/heads/main',
    );
    const withKey = gitlabInputs(verifySpec, {
      ...job,
      KANIKO_TS_INPUT_IMAGE: 'r/a',
      COSIGN_PUBLIC_KEY: 'PEM',
    });
    expect(withKey['certificate-identity']).toBeUndefined();
    expect(defaultVerifyIdentity({})).toBeUndefined();
  });
});

describe('registry auth', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('uses CI_REGISTRY_USER/PASSWORD, else the job token, never overriding the user', () => {
    const env = {
      CI_REGISTRY: 'registry.example.com',
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: 'pw',
    };
    expect(withGitlabRegistryAuth({}, env).auths).toEqual({
      'registry.example.com': { auth: b64('gitlab-ci-token:pw') },
    });
    expect(
      withGitlabRegistryAuth({}, { CI_REGISTRY: 'registry.example.com', CI_JOB_TOKEN: 'jt' }).auths,
    ).toEqual({
      'registry.example.com': { auth: b64('gitlab-ci-token:jt') },
    });
    const mine = { auths: { 'registry.example.com': { auth: b64('me:mine') } } };
    expect(withGitlabRegistryAuth(mine, env).auths).toEqual(mine.auths);
    expect(withGitlabRegistryAuth({}, {}).auths).toEqual({});
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { cosignKeyPair } from '../__tests__/cosign-key-pair.js';
import { fakeContext } from '../__tests__/fake-context.js';
import { stepInputs } from '../__tests__/step-inputs.js';
import { attestStep, buildStep, signStep, verifyStep } from '../steps.js';
import { builderIdOf, contextDigest } from './provenance.js';
import { predicateTypeOf } from './run.js';

describe('attest --type names', () => {
  it("maps cosign's --type names and verify's short names; URIs pass through", () => {
    expect(predicateTypeOf('slsa')).toBe('https://slsa.dev/provenance/v1');
    expect(predicateTypeOf('slsaprovenance1')).toBe('https://slsa.dev/provenance/v1');
    // cosign's plain `slsaprovenance` is v0.2: kept so, to mean what it means to cosign users.
    expect(predicateTypeOf('slsaprovenance')).toBe('https://slsa.dev/provenance/v0.2');
    expect(predicateTypeOf('SPDXJSON')).toBe('https://spdx.dev/Document');
    expect(predicateTypeOf('cyclonedx')).toBe('https://cyclonedx.org/bom');
    expect(predicateTypeOf('custom')).toBe('https://cosign.sigstore.dev/attestation/v1');
    expect(predicateTypeOf('https://example.com/p/v1')).toBe('https://example.com/p/v1');
  });
});

describe('contextDigest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'context-digest-'));
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    mkdirSync(join(dir, 'build'), { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, 'src', 'a file.txt'), 'a\n');
    writeFileSync(join(dir, 'src', 'deep', 'B.txt'), 'b\n');
    writeFileSync(join(dir, 'src', 'deep', 'b.txt'), 'lower case sorts after upper case\n');
    writeFileSync(join(dir, 'build', 'out.bin'), 'ignored\n');
    writeFileSync(join(dir, 'debug.log'), 'ignored\n');
    writeFileSync(join(dir, '.dockerignore'), 'build\n*.log\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const coreutils = (exclude: string) =>
    `sha256:${
      execFileSync(
        'sh',
        [
          '-c',
          `find . -type f ${exclude} -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum`,
        ],
        { cwd: dir },
      )
        .toString()
        .split(' ')[0]
    }`;

  it('is the sha256 of the sha256sum listing of the files the build sees', async () => {
    expect(await contextDigest(dir)).toBe(coreutils("! -path './build/*' ! -name '*.log'"));
  });

  it('changes with any content change, and a Dockerfile-specific .dockerignore wins', async () => {
    const before = await contextDigest(dir);
    writeFileSync(join(dir, 'src', 'deep', 'B.txt'), 'B\n');
    expect(await contextDigest(dir)).not.toBe(before);
    writeFileSync(join(dir, 'Dockerfile.dockerignore'), 'src\n');
    expect(await contextDigest(dir, { dockerfile: join(dir, 'Dockerfile') })).toBe(
      coreutils("! -path './src/*'"),
    );
  });
});

describe('builderIdOf', () => {
  it('names the GitHub workflow, the GitLab runner, or a local build', () => {
    expect(
      builderIdOf({
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/b.yml@refs/heads/main',
      }),
    ).toBe('https://github.com/o/r/.github/workflows/b.yml@refs/heads/main');
    expect(
      builderIdOf({
        GITLAB_CI: 'true',
        CI_PROJECT_URL: 'https://gitlab.example.com/g/p',
        CI_RUNNER_ID: '12',
      }),
    ).toBe('https://gitlab.example.com/g/p/-/runners/12');
    expect(builderIdOf({})).toBe('https://kaniko-ts.dev/builder/local');
  });
});

/** Provenance signed with a cosign key against a real registry: `kaniko-ts attest --type slsa` and the build step. */
describe('provenance with a cosign key', () => {
  let registry: RunningRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    dir = mkdtempSync(join(tmpdir(), 'attest-provenance-'));
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(join(dir, 'ctx', 'hello.txt'), 'hello\n');
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('attests SLSA v1 provenance that verify --require-attestation slsa accepts', async () => {
    const env = {
      GITLAB_CI: 'true',
      CI_PROJECT_URL: 'https://gitlab.example.com/g/p',
      CI_COMMIT_SHA: 'd'.repeat(40),
      CI_COMMIT_REF_NAME: 'main',
      CI_JOB_URL: 'https://gitlab.example.com/g/p/-/jobs/7',
      CI_RUNNER_ID: '3',
    };
    const { ctx } = fakeContext({ env });
    const net = { insecure: 'true' };
    const built = await buildStep.run(
      ctx,
      stepInputs(buildStep.spec, { ...net, context: join(dir, 'ctx'), tags: `${registry.host}/p/app:1` }),
    );
    const { keys, keyEnv } = await cosignKeyPair(ctx, join(dir, 'cosign'), 'pw');
    const signed = { ...net, image: built['image-ref'], 'tlog-upload': 'false' };
    await signStep.run(ctx, stepInputs(signStep.spec, signed, keyEnv));
    const verify = (require: string) =>
      verifyStep.run(
        fakeContext().ctx,
        stepInputs(verifyStep.spec, {
          ...net,
          image: built['image-ref'],
          'ignore-tlog': 'true',
          key: keys['public-key-path'],
          'require-attestation': require,
        }),
      );
    await expect(verify('slsa')).rejects.toThrow(
      /no verified https:\/\/slsa\.dev\/provenance\/v1 attestation/,
    );

    // Without a predicate, only slsa may be asked for, and only by digest.
    await expect(
      attestStep.run(ctx, stepInputs(attestStep.spec, { ...signed, type: 'spdx' }, keyEnv)),
    ).rejects.toThrow(/give predicate/);
    await expect(
      attestStep.run(
        ctx,
        stepInputs(attestStep.spec, { ...signed, image: `${registry.host}/p/app:1`, type: 'slsa' }, keyEnv),
      ),
    ).rejects.toThrow(/by digest/);

    const attested = await attestStep.run(
      ctx,
      stepInputs(
        attestStep.spec,
        { ...signed, type: 'slsa', context: join(dir, 'ctx'), dockerfile: join(dir, 'ctx', 'Dockerfile') },
        keyEnv,
      ),
    );
    expect(attested['predicate-type']).toBe('https://slsa.dev/provenance/v1');
    expect(attested.digest).toBe(built.digest);
    const verified = await verify('slsa');
    expect(verified.attestations).toBe('https://slsa.dev/provenance/v1');

    const bundle = JSON.parse(readFileSync(attested['bundle-path'], 'utf8')) as {
      dsseEnvelope: { payload: string };
    };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement.subject).toEqual([
      { name: `${registry.host}/p/app`, digest: { sha256: built.digest.slice(7) } },
    ]);
    expect(statement.predicate.buildDefinition.externalParameters.context).toEqual({
      digest: { sha256: (await contextDigest(join(dir, 'ctx'))).slice(7) },
    });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
      { uri: 'git+https://gitlab.example.com/g/p@main', digest: { gitCommit: 'd'.repeat(40) } },
    ]);
    expect(statement.predicate.runDetails).toEqual({
      builder: { id: 'https://gitlab.example.com/g/p/-/runners/3' },
      metadata: {
        invocationId: 'https://gitlab.example.com/g/p/-/jobs/7',
        finishedOn: '1970-01-01T00:00:00Z',
      },
    });
  });
  it('build with a cosign key: sign, sbom and provenance in one step, verified by the public key', async () => {
    const { ctx } = fakeContext();
    const { keys, keyEnv } = await cosignKeyPair(ctx, join(dir, 'build-key'), '');
    const raw = {
      insecure: 'true',
      'tlog-upload': 'false',
      context: join(dir, 'ctx'),
      tags: `${registry.host}/p/keyed:1`,
      sign: 'true',
      sbom: 'true',
      provenance: 'true',
    };
    const built = await buildStep.run(ctx, stepInputs(buildStep.spec, raw, keyEnv));
    expect(built['provenance-ref']).toContain(registry.host);
    const verified = await verifyStep.run(
      fakeContext().ctx,
      stepInputs(verifyStep.spec, {
        insecure: 'true',
        image: built['image-ref'],
        'ignore-tlog': 'true',
        key: keys['public-key-path'],
        'require-attestation': 'spdx,slsa',
      }),
    );
    expect(verified.attestations.split(',').sort()).toEqual([
      'https://slsa.dev/provenance/v1',
      'https://spdx.dev/Document',
    ]);
    // Without a push there is nothing to attest: skipped with a warning, not an error.
    const dry = fakeContext();
    const out = await buildStep.run(dry.ctx, stepInputs(buildStep.spec, { ...raw, push: 'false' }, keyEnv));
    expect(out['provenance-ref']).toBe('');
    expect(dry.record.warnings.map((w) => w.message)).toContain('provenance needs a pushed image: skipped');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeContext } from '../packages/steps/src/__tests__/fake-context.js';
import { parseInputs } from '../packages/steps/src/parse-inputs.js';
import type { InferInputs, StepSpec } from '../packages/steps/src/step-spec.js';
import { attestSbomStep, buildStep, sbomStep, verifyStep } from '../packages/steps/src/steps.js';
import {
  ensureRegistrySeed,
  harness,
  type RunningRegistry,
  seededBaseImages,
  startRegistry,
} from './harness/index.js';
import { cycloneDxErrors, spdxErrors } from './sbom/validate.js';
import { type MockSigstore, startMockSigstore } from './sigstore/mock-sigstore.js';

function inputs<S extends StepSpec>(spec: S, raw: Record<string, string>, env: Record<string, string> = {}) {
  return parseInputs(spec, raw, env).values as InferInputs<S>;
}

/** A transparent HTTP proxy in front of the registry that counts `METHOD /path` of every request. */
async function countingProxy(target: string) {
  const [host, port] = target.split(':') as [string, string];
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    // A ranged GET resumes a download that dropped: not a second pull.
    log.push(`${req.method}${req.headers.range ? ' (range)' : ''} ${(req.url ?? '').split('?')[0]}`);
    const up = http.request(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', (e) => res.destroy(e));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${address.port}`,
    /** Position in the request log. */
    mark: () => log.length,
    /** `METHOD /path` of every request since `mark`, in order. */
    since: (mark: number) => log.slice(mark),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function statementOf(bundlePath: string): {
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: Record<string, unknown>;
} {
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
}

/**
 * build (sign + SBOM from the build's own layer streams + SLSA provenance, keyless against the mock
 * Sigstore services) → verify requiring spdx, cyclonedx and slsa, on a real registry behind a
 * request-counting proxy. Images without the attestations, or attested by another identity, fail.
 */
describe('build attaches SBOM and SLSA provenance; verify requires them', () => {
  let registry: RunningRegistry;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let mock: MockSigstore;
  let dir: string;
  let baseRef: string;
  let baseLayer: string;
  let trustedRoot: string;

  beforeAll(async () => {
    const h = harness();
    const seed = await ensureRegistrySeed(h.baseLayouts, { cacheDir: h.cacheDir });
    [registry, mock] = await Promise.all([
      startRegistry({ variant: 'plain', seedStorageDir: seed.storageDir }),
      startMockSigstore(),
    ]);
    proxy = await countingProxy(registry.host);
    const bases = seededBaseImages(registry, seed);
    baseRef = bases.debian.ref.replace(registry.host, proxy.host);
    baseLayer = h.baseLayouts.debian.layerDigest;
    dir = mkdtempSync(join(tmpdir(), 'sbom-provenance-'));
    const ctx = join(dir, 'ctx');
    mkdirSync(join(ctx, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(
      join(ctx, 'node_modules', 'left-pad', 'package.json'),
      JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' }),
    );
    writeFileSync(join(ctx, 'ignored.log'), 'not part of the context\n');
    writeFileSync(join(ctx, '.dockerignore'), '*.log\n');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${baseRef}\nARG VERSION\nARG NPM_TOKEN\nCOPY node_modules /app/node_modules\n`,
    );
    trustedRoot = join(dir, 'trusted_root.json');
    writeFileSync(trustedRoot, JSON.stringify(mock.trustedRoot));
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([registry?.stop(), mock?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const signing = () => ({
    insecure: 'true',
    'fulcio-url': mock.fulcioURL,
    'rekor-url': mock.rekorURL,
    'tsa-url': mock.tsaURL,
  });
  const build = (tag: string, raw: Record<string, string>, token = mock.token()) => {
    const env = {
      NPM_TOKEN: 'npm_s3cr3t-value',
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '99',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SHA: 'c'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/build.yml@refs/heads/main',
    };
    const { ctx } = fakeContext({ token, env });
    const values = inputs(
      buildStep.spec,
      {
        ...signing(),
        context: join(dir, 'ctx'),
        tags: `${proxy.host}/e2e/${tag}`,
        'build-args': 'VERSION=1.2.3\nNPM_TOKEN',
        ...raw,
      },
      env,
    );
    return buildStep.run(ctx, values).then((out) => ({ out, ctx }));
  };
  const verify = (image: string, require: string, identity = String(mock.claims.sub)) => {
    const { ctx } = fakeContext();
    return verifyStep.run(
      ctx,
      inputs(verifyStep.spec, {
        insecure: 'true',
        image,
        'trusted-root': trustedRoot,
        'certificate-identity': identity,
        'certificate-oidc-issuer': mock.issuer,
        'require-attestation': require,
      }),
    );
  };

  it('catalogues from the build stream (no second pull), the same document as `kaniko-ts sbom`, and verify passes', async () => {
    const baseGets = (requests: string[]) =>
      requests.filter((r) => r.startsWith('GET /v2/') && r.endsWith(`/blobs/${baseLayer}`)).length;
    const mark = proxy.mark();
    const { out, ctx } = await build('app:1', { sign: 'true', sbom: 'true', provenance: 'true' });
    const during = proxy.since(mark);
    // The builder reads the base layer to unpack it, before it pushes the image; the SBOM is taken
    // after build() returns, so a second pull would show after the manifest PUT.
    const pushed = during.indexOf('PUT /v2/e2e/app/manifests/1');
    expect(pushed, during.join('\n')).toBeGreaterThan(0);
    expect(baseGets(during.slice(0, pushed)), during.join('\n')).toBeGreaterThanOrEqual(1);
    expect(baseGets(during.slice(pushed)), during.join('\n')).toBe(0);
    expect(out['signature-ref']).not.toBe('');
    expect(out['attestation-ref']).not.toBe('');
    expect(out['provenance-ref']).not.toBe('');

    // `kaniko-ts sbom <image>` reads the base layer again: the counter sees a pull.
    const ref = out['image-ref'];
    const afterBuild = proxy.mark();
    const cli = fakeContext();
    const standalone = await sbomStep.run(
      cli.ctx,
      inputs(sbomStep.spec, { insecure: 'true', image: ref, output: join(dir, 'standalone.spdx.json') }),
    );
    expect(baseGets(proxy.since(afterBuild))).toBeGreaterThanOrEqual(1);
    const fromBuild = JSON.parse(readFileSync(out['sbom-path'], 'utf8'));
    const fromCli = JSON.parse(readFileSync(standalone['sbom-path'], 'utf8'));
    // Both runs use the same clock; the namespace is derived from the content, so nothing differs.
    expect(fromBuild).toEqual(fromCli);
    expect(spdxErrors(fromBuild)).toEqual([]);
    const names = (fromBuild.packages as { name: string }[]).map((p) => p.name);
    expect(names).toContain('left-pad');
    expect(names).toContain('dpkg');

    // A CycloneDX SBOM attached afterwards by the attest-sbom step (same keyless identity).
    const cdx = await attestSbomStep.run(
      fakeContext({ token: mock.token() }).ctx,
      inputs(attestSbomStep.spec, { ...signing(), image: ref, 'sbom-format': 'cyclonedx-json' }),
    );

    expect(await cycloneDxErrors(JSON.parse(readFileSync(cdx['sbom-path'], 'utf8')))).toEqual([]);

    const verified = await verify(ref, 'spdx,cyclonedx,slsa');
    expect(verified.verified).toBe('true');
    expect(verified.attestations.split(',').sort()).toEqual([
      'https://cyclonedx.org/bom',
      'https://slsa.dev/provenance/v1',
      'https://spdx.dev/Document',
    ]);

    // The provenance that was attached: subject, build facts, secrets left out, digests reproducible.
    const digest = out.digest;
    const statement = statementOf(join(ctx.tempDir, `attestation-${digest.replace(':', '-')}.sigstore.json`));
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.subject).toEqual([{ name: out.image, digest: { sha256: digest.slice(7) } }]);
    const text = JSON.stringify(statement);
    expect(text).not.toContain('npm_s3cr3t-value');
    const def = statement.predicate.buildDefinition as {
      externalParameters: {
        buildArgs: Record<string, string>;
        dockerfile: { path: string; digest: { sha256: string } };
        context: { digest: { sha256: string } };
      };
      resolvedDependencies: { uri: string; digest: Record<string, string> }[];
    };
    expect(def.externalParameters.buildArgs).toEqual({ VERSION: '1.2.3' });
    const sha = (args: string[], cwd: string) =>
      execFileSync('sh', ['-c', ...args], { cwd })
        .toString()
        .split(' ')[0];
    expect(def.externalParameters.dockerfile).toEqual({
      path: 'Dockerfile',
      digest: { sha256: sha(['sha256sum Dockerfile'], join(dir, 'ctx')) },
    });
    // Context digest = sha256 of the sha256sum listing of the files the build sees (.dockerignore applied).
    expect(def.externalParameters.context.digest.sha256).toBe(
      sha(
        ["find . -type f ! -name '*.log' | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum"],
        join(dir, 'ctx'),
      ),
    );
    expect(def.resolvedDependencies).toContainEqual({
      uri: baseRef,
      digest: { sha256: harness().baseLayouts.debian.manifestDigest.slice(7) },
    });
    expect(def.resolvedDependencies).toContainEqual({
      uri: 'git+https://github.com/acme/app@refs/heads/main',
      digest: { gitCommit: 'c'.repeat(40) },
    });
    expect(statement.predicate.runDetails).toMatchObject({
      builder: { id: 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main' },
      metadata: { invocationId: 'https://github.com/acme/app/actions/runs/99/attempts/1' },
    });
  });

  it('fails with a clear reason when the provenance is missing', async () => {
    const { out } = await build('bare:1', { sign: 'true', sbom: 'true' });
    await expect(verify(out['image-ref'], 'spdx')).resolves.toMatchObject({ verified: 'true' });
    await expect(verify(out['image-ref'], 'spdx,slsa')).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: expect.stringMatching(/no verified https:\/\/slsa\.dev\/provenance\/v1 attestation/),
    });
    await expect(verify(out['image-ref'], 'cyclonedx')).rejects.toThrow(
      /no verified https:\/\/cyclonedx\.org\/bom attestation/,
    );
  });

  it('fails with a clear reason when signed and attested by another identity', async () => {
    const other = mock.token({
      ...mock.claims,
      sub: 'https://github.com/evil/fork/.github/workflows/x.yml@refs/heads/main',
    });
    const { out } = await build('other:1', { sign: 'true', sbom: 'true', provenance: 'true' }, other);
    // It verifies for its own identity…
    await expect(
      verify(
        out['image-ref'],
        'spdx,slsa',
        'https://github.com/evil/fork/.github/workflows/x.yml@refs/heads/main',
      ),
    ).resolves.toMatchObject({ verified: 'true' });
    // …but not for the policy's identity, and the reason names the attestation and the identity.
    const failure = await verify(out['image-ref'], 'spdx,slsa').catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/no verified https:\/\/slsa\.dev\/provenance\/v1 attestation/);
    expect(message).toContain('evil/fork');
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '@kaniko-ts/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../../test/harness/ensure-tools.js';
import { type RunningRegistry, startRegistry } from '../../../test/harness/registry.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const gitlabCiLocal = join(root, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');

/**
 * A pipeline made of the committed components, run by gitlab-ci-local with the shell executor and
 * the bundled CLI on PATH (what the executor image holds): two native-platform builds, the index
 * job fed by their dotenv variables, and a gate job that sees the index's digest.
 */
describe('GitLab pipeline from the components', () => {
  let registry: RunningRegistry;
  let work: string;

  beforeAll(async () => {
    for (const tool of ['rsync', 'git']) {
      if (findExecutable(tool) === undefined) {
        throw new Error(`gitlab-ci-local's shell executor needs ${tool}: apt-get install -y ${tool}`);
      }
    }
    registry = await startRegistry({ variant: 'plain' });
    work = mkdtempSync(join(tmpdir(), 'gitlab-pipeline-'));
    const bin = join(work, 'bin');
    execFileSync(process.execPath, [
      join(root, 'scripts', 'gen-bundles.mjs'),
      '--cli',
      join(bin, 'kaniko-ts.mjs'),
    ]);
    writeFileSync(
      join(bin, 'kaniko-ts'),
      `#!/bin/sh\nexec "${process.execPath}" "$(dirname "$0")/kaniko-ts.mjs" "$@"\n`,
    );
    chmodSync(join(bin, 'kaniko-ts'), 0o755);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('builds per platform, merges, signs, attests and verifies, handing digests on as dotenv variables', async () => {
    const project = join(work, 'project');
    mkdirSync(project);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: project })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main');
    git('remote', 'add', 'origin', 'git@gitlab.com:org/kaniko-ts.git');
    cpSync(join(root, 'gitlab-components', 'templates'), join(project, 'templates'), { recursive: true });
    writeFileSync(join(project, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(join(project, 'hello.txt'), 'hello\n');
    git('add', '.');
    git('commit', '-qm', 'components');
    const sha = git('rev-parse', 'HEAD');
    const repo = `${registry.host}/org/app`;
    const component = (name: string, inputs: Record<string, unknown>) =>
      `  - component: gitlab.com/org/kaniko-ts/${name}@${sha}\n    inputs: ${JSON.stringify(inputs)}\n`;
    writeFileSync(
      join(project, '.gitlab-ci.yml'),
      [
        'stages: [build, release, sign, test, deploy]',
        'include:',
        component('build', {
          'job-name': 'build-amd64',
          platform: 'linux/amd64',
          tags: `${repo}:amd64`,
          'dotenv-suffix': '_AMD64',
          insecure: true,
        }),
        component('build', {
          'job-name': 'build-arm64',
          platform: 'linux/arm64',
          tags: `${repo}:arm64`,
          'dotenv-suffix': '_ARM64',
          insecure: true,
        }),
        component('index', {
          stage: 'release',
          sources: '$KANIKO_TS_IMAGE_REF_AMD64,$KANIKO_TS_IMAGE_REF_ARM64',
          tags: `${repo}:1.0`,
          insecure: true,
        }),
        component('sign', { stage: 'sign', 'tlog-upload': false, insecure: true }),
        component('attest-sbom', { stage: 'sign', 'tlog-upload': false, insecure: true }),
        component('verify', { 'ignore-tlog': true, 'require-attestation': 'spdx', insecure: true }),
        'kaniko-ts-index:',
        '  needs: [build-amd64, build-arm64]',
        'kaniko-ts-sign:',
        '  needs: [kaniko-ts-index]',
        'kaniko-ts-attest-sbom:',
        '  needs: [kaniko-ts-index, kaniko-ts-sign]',
        'kaniko-ts-verify:',
        '  needs: [kaniko-ts-index, kaniko-ts-attest-sbom]',
        'gate:',
        '  stage: deploy',
        '  needs: [kaniko-ts-verify]',
        '  script:',
        '    - echo "DEPLOY=$KANIKO_TS_VERIFIED_IMAGE_REF"',
        '',
      ].join('\n'),
    );
    // Key-based signing from CI/CD variables (what a project sets as masked variables).
    const { privateKeyPem, publicKeyPem } = await generateKeyPair('pipeline-pw');
    writeFileSync(join(work, 'cosign.key'), privateKeyPem);
    writeFileSync(join(work, 'cosign.pub'), publicKeyPem);
    const variables = [
      `COSIGN_PRIVATE_KEY=${join(work, 'cosign.key')}`,
      'COSIGN_PASSWORD=pipeline-pw',
      `COSIGN_PUBLIC_KEY=${join(work, 'cosign.pub')}`,
    ].flatMap((v) => ['--variable', v]);
    const run = spawnSync(process.execPath, [gitlabCiLocal, '--force-shell-executor', ...variables], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(work, 'bin')}:${process.env.PATH}` },
      timeout: 120_000,
    });
    const log = run.stdout + run.stderr;
    expect(log).toMatch(/PASS\s+build-amd64/);
    expect(log).toMatch(/PASS\s+build-arm64/);
    expect(log).toMatch(/PASS\s+kaniko-ts-index/);
    expect(log).toMatch(/PASS\s+kaniko-ts-sign/);
    expect(log).toMatch(/PASS\s+kaniko-ts-attest-sbom/);
    expect(log).toMatch(/PASS\s+kaniko-ts-verify/);
    expect(run.status, log.slice(-3000)).toBe(0);
    expect(log).toContain('platforms=linux/amd64,linux/arm64');
    const digest = /kaniko-ts-index\s+> digest=(sha256:[a-f0-9]{64})/.exec(log)?.[1];
    expect(digest).toBeDefined();
    expect(log).toContain(`DEPLOY=${repo}@${digest}`);
    // the two builds ran in one directory (the shell executor): each wrote its own report, so
    // neither overwrote the other's before it was collected (which once left the index one platform)
    for (const arch of ['AMD64', 'ARM64']) {
      const report = readFileSync(join(project, `kaniko-ts_${arch}.env`), 'utf8');
      expect(report).toMatch(new RegExp(`^KANIKO_TS_IMAGE_REF_${arch}=${repo}@sha256:[a-f0-9]{64}$`, 'm'));
      expect(report).not.toContain(arch === 'AMD64' ? '_ARM64=' : '_AMD64=');
    }
    const raw = execFileSync('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${repo}:1.0`,
    ]).toString();
    expect((JSON.parse(raw) as { manifests: unknown[] }).manifests).toHaveLength(2);
  });
});

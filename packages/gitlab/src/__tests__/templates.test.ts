import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const templatesDir = join(root, 'gitlab-components', 'templates');
const templates = readdirSync(templatesDir).filter((f) => f.endsWith('.yml'));
const gitlabCiLocal = join(root, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');

/**
 * A git repository of the templates as GitLab serves components from it (origin on gitlab.com),
 * for gitlab-ci-local to include them at `sha`.
 */
function componentsRepo(prefix: string): { dir: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'git@gitlab.com:org/kaniko-ts.git');
  cpSync(templatesDir, join(dir, 'templates'), { recursive: true });
  git('add', '.');
  git('commit', '-qm', 'components');
  return { dir, sha: git('rev-parse', 'HEAD').toString().trim() };
}

interface SpecInput {
  type?: string;
  default?: unknown;
  description?: string;
  options?: unknown[];
  regex?: string;
}

/** GitLab's spec:inputs rules (doc/ci/inputs): types, defaults matching type/options/regex, use. */
function specProblems(text: string): string[] {
  const docs = parseAllDocuments(text);
  const problems: string[] = [];
  if (docs.length !== 2)
    return [`expected a spec header and a body separated by ---, got ${docs.length} documents`];
  const header = docs[0]!.toJS() as { spec?: { inputs?: Record<string, SpecInput> } };
  const inputs = header.spec?.inputs ?? {};
  const body = docs[1]!.toString();
  for (const [name, input] of Object.entries(inputs)) {
    const type = input.type ?? 'string';
    if (!/^[a-z0-9_-]+$/.test(name)) problems.push(`${name}: invalid name`);
    if (!['string', 'number', 'boolean', 'array'].includes(type))
      problems.push(`${name}: unknown type ${type}`);
    if (input.default === undefined) problems.push(`${name}: no default makes it mandatory`);
    const d = input.default;
    const ok =
      (type === 'string' && typeof d === 'string') ||
      (type === 'number' && typeof d === 'number') ||
      (type === 'boolean' && typeof d === 'boolean') ||
      (type === 'array' && Array.isArray(d));
    if (!ok) problems.push(`${name}: default ${JSON.stringify(d)} is not a ${type}`);
    if (!input.description) problems.push(`${name}: no description`);
    if (input.options !== undefined) {
      if (!['string', 'number'].includes(type)) problems.push(`${name}: options on a ${type}`);
      if (!input.options.includes(d)) problems.push(`${name}: default not in options`);
      if (input.options.length > 50) problems.push(`${name}: more than 50 options`);
    }
    if (input.regex !== undefined) {
      if (type !== 'string') problems.push(`${name}: regex on a ${type}`);
      if (!new RegExp(input.regex).test(String(d)))
        problems.push(`${name}: default does not match ${input.regex}`);
    }
    if (!body.includes(`$[[ inputs.${name} ]]`)) problems.push(`${name}: declared but never used`);
  }
  for (const m of body.matchAll(/\$\[\[ inputs\.([a-z0-9_-]+)/g)) {
    if (inputs[m[1]!] === undefined) problems.push(`${m[1]}: used but not declared`);
  }
  return problems;
}

describe('GitLab components', () => {
  it('exist for every CI step', () => {
    expect(templates.sort()).toEqual(['attest-sbom.yml', 'build.yml', 'index.yml', 'sign.yml', 'verify.yml']);
  });

  it.each(templates)('%s follows the spec:inputs rules', (file) => {
    expect(specProblems(readFileSync(join(templatesDir, file), 'utf8'))).toEqual([]);
  });

  it('the rule checker catches broken headers', () => {
    const broken = [
      'spec:',
      '  inputs:',
      '    a:',
      '      type: boolean',
      '      default: "yes"',
      '      description: x',
      '    b:',
      '      default: zstd',
      '      options: [gzip]',
      '      description: x',
      '---',
      'job:',
      '  script: ["echo $[[ inputs.a ]] $[[ inputs.b ]] $[[ inputs.c ]]"]',
    ].join('\n');
    expect(specProblems(broken)).toEqual([
      'a: default "yes" is not a boolean',
      'b: default not in options',
      'c: used but not declared',
    ]);
  });

  it('every template, included as a component with inputs, passes GitLab CI schema validation', () => {
    const { dir, sha } = componentsRepo('components-');
    const include = (name: string, inputs: Record<string, unknown>) =>
      `  - component: gitlab.com/org/kaniko-ts/${name}@${sha}\n    inputs: ${JSON.stringify(inputs)}\n`;
    writeFileSync(
      join(dir, '.gitlab-ci.yml'),
      [
        'stages: [build, sign, test, release]',
        'include:',
        include('build', {
          'job-name': 'build-amd64',
          platform: 'linux/amd64',
          'dotenv-suffix': '_AMD64',
          cache: true,
        }),
        include('build', { 'job-name': 'build-arm64', platform: 'linux/arm64', 'dotenv-suffix': '_ARM64' }),
        include('index', {
          stage: 'release',
          sources: '$KANIKO_TS_IMAGE_REF_AMD64,$KANIKO_TS_IMAGE_REF_ARM64',
        }),
        include('sign', { stage: 'sign', format: 'both' }),
        include('attest-sbom', { stage: 'sign', 'sbom-format': 'cyclonedx-json' }),
        include('verify', { 'require-attestation': 'cyclonedx' }),
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [gitlabCiLocal, '--preview'], { cwd: dir, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain('json schema validated');
    expect(run.status).toBe(0);
    const merged = parseAllDocuments(run.stdout.slice(run.stdout.indexOf('---')))[0]!.toJS() as Record<
      string,
      { variables?: Record<string, string>; script?: string[] }
    >;
    expect(merged['build-arm64']?.variables?.KANIKO_TS_INPUT_PLATFORM).toBe('linux/arm64');
    expect(merged['build-arm64']?.variables?.KANIKO_TS_DOTENV_SUFFIX).toBe('_ARM64');
    expect(merged['kaniko-ts-index']?.script).toEqual(['kaniko-ts index']);
    expect(merged['kaniko-ts-verify']?.variables?.KANIKO_TS_INPUT_IMAGE).toBe('$KANIKO_TS_IMAGE_REF');
  });

  it('gitlab-ci-local rejects a component with a bad input value (the validation is live)', () => {
    const { dir, sha } = componentsRepo('components-bad-');
    writeFileSync(
      join(dir, '.gitlab-ci.yml'),
      `include:\n  - component: gitlab.com/org/kaniko-ts/build@${sha}\n    inputs: { compression: brotli }\n`,
    );
    const run = spawnSync(process.execPath, [gitlabCiLocal, '--preview'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/compression/);
  });
});

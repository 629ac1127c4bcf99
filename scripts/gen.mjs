#!/usr/bin/env node
// Writes every artifact derived from the step specs (packages/steps/src/<step>/spec.ts):
//   actions/<step>/action.yml, gitlab-components/templates/<step>.yml, and the generated blocks
//   (inputs/outputs tables, CLI help, kaniko migration table) between markers in READMEs.
// `--check` writes nothing and fails when a committed copy differs. Needs the packages built (tsc -b).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg) => import(join(root, 'packages', pkg, 'dist', 'index.js'));
const steps = await dist('steps');
const github = await dist('github');
const gitlab = await dist('gitlab');
const cli = await dist('cli');
const check = process.argv.includes('--check');

/** Kaniko executor flags (upstream v1.24 + osscontainertools), for the migration table. */
const KANIKO_FLAGS = [
  'bucket',
  'build-arg',
  'cache',
  'cache-copy-layers',
  'cache-dir',
  'cache-repo',
  'cache-run-layers',
  'cache-ttl',
  'cleanup',
  'compressed-caching',
  'compression',
  'compression-level',
  'context',
  'context-sub-path',
  'custom-platform',
  'destination',
  'digest-file',
  'dockerfile',
  'dryrun',
  'force',
  'git',
  'ignore-path',
  'ignore-var-run',
  'image-download-retry',
  'image-format',
  'image-fs-extract-retry',
  'image-name-tag-with-digest-file',
  'image-name-with-digest-file',
  'insecure',
  'insecure-pull',
  'insecure-registry',
  'kaniko-dir',
  'label',
  'annotation',
  'log-format',
  'log-timestamp',
  'no-push',
  'no-push-cache',
  'oci-layout-path',
  'push-retry',
  'registry-certificate',
  'registry-client-cert',
  'registry-map',
  'registry-mirror',
  'reproducible',
  'secret',
  'single-snapshot',
  'skip-push-permission-check',
  'skip-tls-verify',
  'skip-tls-verify-pull',
  'skip-tls-verify-registry',
  'skip-unused-stages',
  'snapshot-mode',
  'tar-path',
  'target',
  'use-new-run',
  'verbosity',
];
const NOT_NEEDED = {
  bucket: 'use a local context or tar://',
  cleanup:
    'always on: in place, / is cleaned between stages (ignore list kept); chroot builds use a private root',
  'compressed-caching': 'layers are streamed, not held in memory',
  git: 'check out the repository first (actions/checkout, GitLab clone)',
  'ignore-var-run':
    'always on: /var/run and /run are never snapshotted in place; chroot builds never see them',
  'image-fs-extract-retry': 'see image-download-retry',
  'kaniko-dir': 'the executor directory is where the CLI bundle lives, always ignored in place',
  'skip-unused-stages': 'always on: unused stages are never built',
  'use-new-run': 'snapshot-mode picks the detection method',
};

const files = new Map();
const put = (rel, text) => files.set(rel, text);

const surface = (s, where) => s.surfaces === undefined || s.surfaces.includes(where);
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmtDefault = (d) =>
  d === undefined || d === '' || (Array.isArray(d) && d.length === 0)
    ? ''
    : `\`${Array.isArray(d) ? d.join(',') : d}\``;

function githubTables(spec) {
  const rows = Object.entries(spec.inputs)
    .filter(([, i]) => surface(i, 'github'))
    .map(
      ([n, i]) =>
        `| \`${n}\` | ${i.type === 'enum' ? i.options.join(' \\| ') : i.type}${i.required ? ' (required)' : ''} | ${fmtDefault(i.default)} | ${esc(i.description)} |`,
    );
  const outs = Object.entries(spec.outputs).map(
    ([n, o]) => `| \`${n}\` | ${o.env ? `\`${o.env}\`` : ''} | ${esc(o.description)} |`,
  );
  return [
    `#### \`${spec.name}\` inputs`,
    '',
    '| input | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
    `#### \`${spec.name}\` outputs`,
    '',
    '| output | env variable | description |',
    '|---|---|---|',
    ...outs,
  ].join('\n');
}

function gitlabTables(spec) {
  const inputs = gitlab.componentInputs(spec);
  const rows = Object.entries(inputs).map(
    ([n, i]) =>
      `| \`${n}\` | ${i.type ?? 'string'}${i.options ? ` (${i.options.join(' \\| ')})` : ''} | ${fmtDefault(i.default)} | ${esc(i.description)} |`,
  );
  const secrets = Object.entries(spec.inputs)
    .filter(([, i]) => i.type === 'secret' && i.env)
    .map(([n, i]) => `\`${i.env}\` (${n})`);
  const vars = Object.values(spec.outputs)
    .filter((o) => o.env)
    .map((o) => `| \`${o.env}\` | ${esc(o.description)} |`);
  return [
    `#### \`${spec.name}\` inputs`,
    '',
    '| input | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
    secrets.length ? `Secrets come from CI/CD variables, never inputs: ${secrets.join(', ')}.\n` : '',
    `#### \`${spec.name}\` dotenv variables`,
    '',
    '| variable | description |',
    '|---|---|',
    ...vars,
  ].join('\n');
}

function migrationTable() {
  const build = steps.buildSpec;
  const byFlag = new Map();
  for (const [n, i] of Object.entries(build.inputs)) {
    byFlag.set(i.flag ?? n, n);
    for (const a of i.aliases ?? []) byFlag.set(a, n);
  }
  const rows = KANIKO_FLAGS.map((f) => {
    if (f === 'no-push') return '| `--no-push` | `--no-push` | `push: false` | `push: false` |';
    if (['verbosity', 'log-format', 'log-timestamp'].includes(f))
      return `| \`--${f}\` | \`--${f}\` | (runner log) | (job log) |`;
    const name = byFlag.get(f);
    if (name === undefined) return `| \`--${f}\` | not needed: ${NOT_NEEDED[f] ?? 'not supported'} | | |`;
    return `| \`--${f}\` | \`--${build.inputs[name].flag ?? name}\` | \`${name}:\` | \`${name}\` |`;
  });
  return [
    '| kaniko executor | `kaniko-ts build` | GitHub input | GitLab input |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

// 1. action.yml and GitLab templates.
for (const step of steps.allSteps) {
  if (surface(step.spec, 'github'))
    put(`actions/${step.spec.name}/action.yml`, github.renderActionYml(step.spec));
  if (surface(step.spec, 'gitlab'))
    put(`gitlab-components/templates/${step.spec.name}.yml`, gitlab.renderComponent(step.spec));
}

// 2. The admission policies `kaniko-ts policy` writes for the example pipelines.
async function policyText(raw) {
  let text = '';
  const ctx = {
    log: { info: (m) => (text += m), debug() {}, warn() {}, error() {}, progress() {} },
    workspace: root,
    tempDir: root,
    env: {},
    group: (_n, fn) => fn(),
    maskSecret() {},
    addSummary() {},
    identity: { getIdToken: async () => '' },
    clock: { now: () => new Date(0) },
  };
  const inputs = steps.parseInputs(steps.policySpec, raw).values;
  await steps.policyStep.run(ctx, inputs);
  return `# Generated by: kaniko-ts policy ${Object.entries(raw)
    .map(([k, v]) => `--${k} '${v}'`)
    .join(' ')}\n${text}`;
}
const POLICIES = {
  github: {
    images: 'ghcr.io/org/app*',
    'certificate-identity-regexp':
      '^https://github.com/org/app/.github/workflows/release.yml@refs/(heads/main|tags/v.*)$',
    'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
    'require-attestation': 'spdx',
  },
  gitlab: {
    images: 'registry.gitlab.com/org/app*',
    'certificate-identity-regexp': '^https://gitlab.com/org/app//.gitlab-ci.yml@refs/(heads/main|tags/.*)$',
    'certificate-oidc-issuer': 'https://gitlab.com',
    'require-attestation': 'spdx',
  },
};
for (const [ci, raw] of Object.entries(POLICIES)) {
  for (const format of ['kyverno', 'policy-controller']) {
    put(
      `examples/policies/${ci}-${format}.yaml`,
      await policyText({ ...raw, format, name: `${ci}-signed-app` }),
    );
  }
}

// 3. Generated blocks in READMEs.
const blocks = {
  'cli-help': ['```text', cli.renderMainHelp(steps.allSteps).trimEnd(), '```'].join('\n'),
  'kaniko-migration': migrationTable(),
};
for (const step of steps.allSteps) {
  blocks[`cli-help-${step.spec.name}`] = ['```text', cli.renderStepHelp(step.spec).trimEnd(), '```'].join(
    '\n',
  );
  if (surface(step.spec, 'github')) blocks[`github-${step.spec.name}`] = githubTables(step.spec);
  if (surface(step.spec, 'gitlab')) blocks[`gitlab-${step.spec.name}`] = gitlabTables(step.spec);
}
const READMES = [
  'README.md',
  'actions/README.md',
  'gitlab-components/README.md',
  'packages/cli/README.md',
  'packages/steps/README.md',
];
for (const rel of READMES) {
  const path = join(root, rel);
  if (!existsSync(path)) continue;
  const text = readFileSync(path, 'utf8');
  // Only files that ask for generated blocks are touched (the root README belongs to the lead).
  if (!text.includes('<!-- generated:')) continue;
  const next = text.replace(
    /(<!-- generated:([a-z0-9-]+) -->\n)[\s\S]*?(<!-- \/generated:\2 -->)/g,
    (whole, open, id, close) => (blocks[id] === undefined ? whole : `${open}${blocks[id]}\n${close}`),
  );
  put(rel, next);
}

/** The repository formatter's version of a generated file, so `biome ci` and `--check` agree. */
function formatted(rel, text) {
  const biome = join(root, 'node_modules', '.bin', 'biome');
  return execFileSync(biome, ['format', `--stdin-file-path=${rel}`], { input: text, cwd: root }).toString();
}

let drift = 0;
for (const [rel, raw] of files) {
  const text = formatted(rel, raw);
  const path = join(root, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) {
    drift++;
    console.error(`${rel} is out of date: run node scripts/gen.mjs`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${rel}`);
  }
}
if (check && drift > 0) process.exit(1);
if (check) console.log(`${files.size} generated files up to date`);

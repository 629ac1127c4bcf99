import { type InputSpec, onSurface, type StepSpec, yamlString } from '@kaniko-ts/steps';
import { inputVariable } from './gitlab-inputs.js';

/** Executor image the components run in by default (Node 24 + the bundled CLI). */
export const DEFAULT_EXECUTOR_IMAGE = 'ghcr.io/org/kaniko-ts:1';

/** Where the job writes its dotenv report and its larger artifacts (without a `dotenv-suffix`). */
export const DOTENV_FILE = 'kaniko-ts.env';
export const ARTIFACT_DIR = 'kaniko-ts';
/**
 * The names a job uses: with a `dotenv-suffix` they carry it (`kaniko-ts_ARM64.env`), so jobs of one
 * pipeline that share a directory (gitlab-ci-local's shell executor) or whose artifacts a later job
 * extracts side by side never overwrite each other's report.
 */
const SUFFIX = '$[[ inputs.dotenv-suffix ]]';
const SUFFIXED_DOTENV_FILE = DOTENV_FILE.replace(/\.env$/, `${SUFFIX}.env`);
const SUFFIXED_ARTIFACT_DIR = `${ARTIFACT_DIR}${SUFFIX}`;

const SIGNING_STEPS = new Set(['build', 'sign', 'attest-sbom']);

/** One `spec:inputs` entry as GitLab expects it. */
export interface GitlabInput {
  type?: 'string' | 'number' | 'boolean' | 'array';
  default: string | number | boolean | string[];
  description: string;
  options?: string[];
  regex?: string;
}

/** Inputs a component exposes: everything but secrets (those stay CI/CD variables). */
export function componentInputs(spec: StepSpec): Record<string, GitlabInput> {
  const out: Record<string, GitlabInput> = {
    stage: { default: spec.name === 'verify' ? 'test' : 'build', description: 'Stage of the job.' },
    'job-name': {
      default: `kaniko-ts-${spec.name}`,
      description: 'Name of the job (include twice with two names).',
    },
    'executor-image': { default: DEFAULT_EXECUTOR_IMAGE, description: 'Image the job runs in.' },
    'dotenv-suffix': {
      default: '',
      regex: '^[A-Z0-9_]*$',
      description: 'Suffix of the dotenv variables (e.g. _ARM64) when one pipeline runs this job twice.',
    },
  };
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!onSurface(input, 'gitlab') || input.type === 'secret') continue;
    out[name] = toGitlabInput(input);
  }
  return out;
}

function toGitlabInput(input: InputSpec): GitlabInput {
  const description = input.description;
  const d = input.default;
  switch (input.type) {
    case 'boolean':
      return { type: 'boolean', default: d === true, description };
    case 'number':
      return d === undefined
        ? { default: '', regex: '^-?[0-9]*$', description }
        : { type: 'number', default: Number(d), description };
    case 'enum':
      return {
        default: String(d ?? input.options?.[0] ?? ''),
        options: [...(input.options ?? [])],
        description,
      };
    case 'list':
      return {
        default: input.gitlabDefault ?? (Array.isArray(d) ? d.join('\n') : String(d ?? '')),
        description: `${description} One per line or comma-separated.`,
      };
    default: {
      const g: GitlabInput = { default: input.gitlabDefault ?? String(d ?? ''), description };
      if (input.regex !== undefined && input.gitlabDefault === undefined) g.regex = input.regex;
      return g;
    }
  }
}

const q = (v: unknown): string =>
  typeof v === 'string' ? yamlString(v) : Array.isArray(v) ? `[${v.map(q).join(', ')}]` : JSON.stringify(v);

function renderInput(name: string, input: GitlabInput): string[] {
  const lines = [`    ${name}:`];
  if (input.type !== undefined && input.type !== 'string') lines.push(`      type: ${input.type}`);
  lines.push(`      default: ${q(input.default)}`);
  if (input.options !== undefined) lines.push(`      options: [${input.options.map(q).join(', ')}]`);
  if (input.regex !== undefined) lines.push(`      regex: ${q(input.regex)}`);
  lines.push(`      description: ${q(input.description)}`);
  return lines;
}

/** `gitlab-components/templates/<step>.yml`, generated from the step's spec. */
export function renderComponent(spec: StepSpec): string {
  const inputs = componentInputs(spec);
  const lines = [
    `# Generated from packages/steps/src/${spec.name}/spec.ts by scripts/gen.mjs. Do not edit.`,
    `# ${spec.description}`,
    'spec:',
    '  inputs:',
    ...Object.entries(inputs).flatMap(([name, input]) => renderInput(name, input)),
    '---',
    '"$[[ inputs.job-name ]]":',
    '  stage: "$[[ inputs.stage ]]"',
    '  image:',
    '    name: "$[[ inputs.executor-image ]]"',
    '    entrypoint: [""]',
  ];
  if (SIGNING_STEPS.has(spec.name)) {
    lines.push('  id_tokens:', '    SIGSTORE_ID_TOKEN:', '      aud: sigstore');
  }
  lines.push('  variables:');
  lines.push(`    KANIKO_TS_DOTENV: ${q(SUFFIXED_DOTENV_FILE)}`);
  lines.push(`    KANIKO_TS_ARTIFACT_DIR: ${q(SUFFIXED_ARTIFACT_DIR)}`);
  lines.push(`    KANIKO_TS_DOTENV_SUFFIX: ${q(SUFFIX)}`);
  for (const name of Object.keys(inputs)) {
    if (spec.inputs[name] === undefined) continue;
    lines.push(`    ${inputVariable(name)}: "$[[ inputs.${name} ]]"`);
  }
  lines.push(
    '  script:',
    `    - kaniko-ts ${spec.name}`,
    '  artifacts:',
    '    when: always',
    '    paths:',
    `      - ${q(`${SUFFIXED_ARTIFACT_DIR}/`)}`,
    '    reports:',
    `      dotenv: ${q(SUFFIXED_DOTENV_FILE)}`,
  );
  return `${lines.join('\n')}\n`;
}

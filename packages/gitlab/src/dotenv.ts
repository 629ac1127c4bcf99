import type { StepSpec } from '@kaniko-ts/steps';
import { GitlabError } from './gitlab-error.js';

/** GitLab's default limits for `artifacts:reports:dotenv` on self-managed instances. */
export const DOTENV_LIMITS = { bytes: 5 * 1024, variables: 20 } as const;

/**
 * The dotenv variables of a step's outputs: only outputs with an `env` name and a non-empty,
 * single-line value; `suffix` tells apart jobs of one pipeline (`_AMD64`).
 */
export function dotenvVariables(
  spec: StepSpec,
  outputs: Record<string, string>,
  suffix = '',
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, output] of Object.entries(spec.outputs)) {
    const value = outputs[name];
    if (output.env === undefined || value === undefined || value === '') continue;
    // A multi-line output (several refs) keeps its first line: dotenv cannot carry newlines.
    vars[`${output.env}${suffix}`] = value.split('\n')[0] ?? '';
  }
  return vars;
}

/**
 * Renders `KEY=value` lines within GitLab's rules: keys `[A-Za-z0-9_]`, no quoting, no newlines or
 * surrounding spaces, at most 20 variables and 5 KB. Breaking a rule throws instead of letting
 * GitLab reject the whole upload.
 */
export function renderDotenv(vars: Record<string, string>): string {
  const entries = Object.entries(vars);
  if (entries.length > DOTENV_LIMITS.variables) {
    throw new GitlabError(
      'DOTENV_LIMIT',
      `writing dotenv report: ${entries.length} variables, GitLab accepts 20`,
    );
  }
  const lines = entries.map(([k, v]) => {
    if (!/^[A-Za-z0-9_]+$/.test(k))
      throw new GitlabError('DOTENV_VALUE', `writing dotenv report: invalid key ${k}`);
    if (/[\r\n]/.test(v) || v !== v.trim()) {
      throw new GitlabError('DOTENV_VALUE', `writing dotenv report: value of ${k} is multi-line or padded`);
    }
    return `${k}=${v}`;
  });
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  if (Buffer.byteLength(text) > DOTENV_LIMITS.bytes) {
    throw new GitlabError(
      'DOTENV_LIMIT',
      `writing dotenv report: ${Buffer.byteLength(text)} bytes, GitLab accepts 5 KB`,
    );
  }
  return text;
}

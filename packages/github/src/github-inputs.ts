import { onSurface, type StepSpec } from '@kaniko-ts/steps';

type Env = Readonly<Record<string, string | undefined>>;

/** The runner's variable for input `name`: upper-cased, spaces to `_`, dashes kept (`INPUT_BUILD-ARGS`). */
export function githubInputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** GitHub Actions' OIDC issuer. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * A step's raw inputs from the runner's `INPUT_*` variables (names and aliases), plus the verify
 * default for this repository's own workflows when the user names no signer.
 */
export function githubInputs(spec: StepSpec, env: Env): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!onSurface(input, 'github')) continue;
    for (const key of [name, ...(input.aliases ?? [])]) {
      const v = env[githubInputVariable(key)];
      if (v !== undefined && v.trim() !== '') raw[key] = v;
    }
  }
  const noSigner =
    raw.key === undefined &&
    raw['certificate-identity'] === undefined &&
    raw['certificate-identity-regexp'] === undefined &&
    env.COSIGN_PUBLIC_KEY === undefined;
  if (spec.name === 'verify' && noSigner && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    const escaped = `${server}/${env.GITHUB_REPOSITORY}/`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    raw['certificate-identity-regexp'] = `^${escaped}.*$`;
    if (raw['certificate-oidc-issuer'] === undefined && raw['certificate-oidc-issuer-regexp'] === undefined) {
      raw['certificate-oidc-issuer'] = GITHUB_OIDC_ISSUER;
    }
  }
  return raw;
}

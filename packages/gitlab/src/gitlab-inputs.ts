import { onSurface, type RawInputs, type StepSpec } from '@kaniko-ts/steps';
import { defaultVerifyIdentity } from './verify-identity.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Variable a component sets for input `name`: `KANIKO_TS_INPUT_CACHE_REPO` for `cache-repo`. */
export function inputVariable(name: string): string {
  return `KANIKO_TS_INPUT_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** Expands `$VAR` / `${VAR}` left unexpanded (GitLab expands job variables once; dotenv values may arrive late). */
function expand(value: string, env: Env): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a, b) => {
    const v = env[(a ?? b) as string];
    return v === undefined ? whole : v;
  });
}

/**
 * Inputs of `kaniko-ts <step>` in a GitLab job: the `KANIKO_TS_INPUT_*` variables the component
 * sets, plus GitLab's defaults (the documented keyless identity for verify).
 */
export function gitlabInputs(spec: StepSpec, env: Env): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!onSurface(input, 'gitlab')) continue;
    const v = env[inputVariable(name)];
    if (v !== undefined && v.trim() !== '') raw[name] = input.type === 'secret' ? v : expand(v, env);
  }
  if (spec.name === 'verify' && raw.key === undefined && env.COSIGN_PUBLIC_KEY === undefined) {
    const id = defaultVerifyIdentity(env);
    if (id !== undefined) {
      if (raw['certificate-identity'] === undefined && raw['certificate-identity-regexp'] === undefined) {
        raw['certificate-identity'] = id.identity;
      }
      if (
        raw['certificate-oidc-issuer'] === undefined &&
        raw['certificate-oidc-issuer-regexp'] === undefined
      ) {
        raw['certificate-oidc-issuer'] = id.issuer;
      }
    }
  }
  return raw;
}

/** Merges GitLab inputs under explicit CLI flags (flags win). */
export function mergeInputs(fromGitlab: Record<string, string>, fromFlags: RawInputs): RawInputs {
  return { ...fromGitlab, ...fromFlags };
}

import { randomBytes } from 'node:crypto';

/** Claims of a GitHub Actions OIDC token; `sub` becomes the certificate SAN in the mock Fulcio. */
export type TokenClaims = Record<string, string | number>;

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** Realistic claims for a workflow run of `repository` at `ref` (the SAN is Fulcio's GitHub form). */
export function githubClaims(
  repository = 'acme/app',
  ref = 'refs/heads/main',
  workflow = '.github/workflows/release.yml',
): TokenClaims {
  const jobWorkflowRef = `${repository}/${workflow}@${ref}`;
  return {
    iss: GITHUB_ISSUER,
    aud: 'sigstore',
    sub: `https://github.com/${jobWorkflowRef}`,
    repository,
    ref,
    sha: 'a'.repeat(40),
    event_name: 'push',
    workflow: 'release',
    job_workflow_ref: jobWorkflowRef,
    runner_environment: 'github-hosted',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  };
}

const b64url = (v: object | Buffer) =>
  (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');

/** A JWT-shaped token (the mock Fulcio decodes claims without checking the signature). */
export function makeToken(claims: TokenClaims): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.${b64url(randomBytes(32))}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The identity GitLab's keyless signing puts in the Fulcio certificate for this pipeline:
 * `https://<host>/<project>//<ci config path>@refs/heads/<branch>` (or refs/tags/<tag>), issuer the
 * instance URL. Undefined outside GitLab CI.
 */
export function defaultVerifyIdentity(env: Env): { identity: string; issuer: string } | undefined {
  const host = env.CI_SERVER_HOST;
  const project = env.CI_PROJECT_PATH;
  if (!host || !project) return undefined;
  const config = env.CI_CONFIG_PATH || '.gitlab-ci.yml';
  const ref = env.CI_COMMIT_TAG
    ? `refs/tags/${env.CI_COMMIT_TAG}`
    : `refs/heads/${env.CI_COMMIT_REF_NAME ?? ''}`;
  const issuer = env.CI_SERVER_URL || `https://${host}`;
  return { identity: `https://${host}/${project}//${config}@${ref}`, issuer };
}

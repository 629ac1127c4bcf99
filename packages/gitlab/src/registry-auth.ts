type Env = Readonly<Record<string, string | undefined>>;

/** The subset of docker's config.json the adapters write. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

function basic(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

/**
 * Adds the job's registry credentials to a docker config, without replacing entries the user set:
 * `CI_REGISTRY` with `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD` (or `gitlab-ci-token`/`CI_JOB_TOKEN`),
 * and the dependency proxy with its own credentials.
 */
export function withGitlabRegistryAuth(existing: DockerConfig, env: Env): DockerConfig {
  const auths = { ...(existing.auths ?? {}) };
  const add = (host: string | undefined, user: string | undefined, password: string | undefined) => {
    if (!host || !user || !password || auths[host] !== undefined) return;
    auths[host] = { auth: basic(user, password) };
  };
  if (env.CI_REGISTRY_USER && env.CI_REGISTRY_PASSWORD) {
    add(env.CI_REGISTRY, env.CI_REGISTRY_USER, env.CI_REGISTRY_PASSWORD);
  } else {
    add(env.CI_REGISTRY, 'gitlab-ci-token', env.CI_JOB_TOKEN);
  }
  const proxy = env.CI_DEPENDENCY_PROXY_SERVER;
  add(proxy, env.CI_DEPENDENCY_PROXY_USER, env.CI_DEPENDENCY_PROXY_PASSWORD);
  return { ...existing, auths };
}

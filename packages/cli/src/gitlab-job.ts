import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type DockerConfig, dotenvVariables, renderDotenv, withGitlabRegistryAuth } from '@kaniko-ts/gitlab';
import type { StepSpec } from '@kaniko-ts/steps';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Writes a docker config with the job's registry credentials into `dir` and returns the environment
 * pointing `DOCKER_CONFIG` at it (the user's own config, if any, is kept and wins).
 */
export async function prepareGitlabAuth(env: Env, dir: string): Promise<Env> {
  if (!env.CI_REGISTRY) return env;
  const home = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  let existing: DockerConfig = {};
  if (home !== undefined && existsSync(join(home, 'config.json'))) {
    existing = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as DockerConfig;
  }
  if (env.DOCKER_AUTH_CONFIG)
    existing = { ...existing, ...(JSON.parse(env.DOCKER_AUTH_CONFIG) as DockerConfig) };
  const config = withGitlabRegistryAuth(existing, env);
  const target = join(dir, 'docker');
  await mkdir(target, { recursive: true });
  await writeFile(join(target, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return { ...env, DOCKER_CONFIG: target };
}

/** Writes the dotenv report and the full outputs (JSON artifact) where the component's job expects them. */
export async function writeGitlabOutputs(
  spec: StepSpec,
  outputs: Record<string, string>,
  env: Env,
  cwd: string,
): Promise<{ dotenvPath: string; outputsPath: string }> {
  // Relative to the job's working directory: where GitLab collects artifacts (the project dir at script start).
  const base = cwd;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const dotenvPath = at(env.KANIKO_TS_DOTENV ?? 'kaniko-ts.env');
  const artifactDir = at(env.KANIKO_TS_ARTIFACT_DIR ?? 'kaniko-ts');
  const suffix = env.KANIKO_TS_DOTENV_SUFFIX ?? '';
  const text = renderDotenv(dotenvVariables(spec, outputs, suffix));
  // Several components in one job append; the last value of a key wins in GitLab.
  const previous = existsSync(dotenvPath) ? readFileSync(dotenvPath, 'utf8') : '';
  await writeFile(dotenvPath, previous + text);
  await mkdir(artifactDir, { recursive: true });
  const outputsPath = join(artifactDir, `${spec.name}${suffix.toLowerCase()}-outputs.json`);
  await writeFile(outputsPath, `${JSON.stringify(outputs, null, 2)}\n`);
  return { dotenvPath, outputsPath };
}

import type { PlannedRun } from '@kaniko-ts/dockerfile';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment of a RUN process: the planned environment, plus PATH and HOME defaults when the
 * image sets none (BuildKit adds the same).
 */
export function runEnvironment(run: PlannedRun, home: string): string[] {
  const env = new Map<string, string>();
  for (const [k, v] of run.environment) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOME')) env.set('HOME', home);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export { DEFAULT_PATH };

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { createIgnoreMatcher } from '@kaniko-ts/dockerfile';
import type { BuildOptions } from '../build.js';
import { BuilderError } from '../builder-error.js';
import type { DirectoryContext } from '../context/directory-context.js';
import { openDirectoryContext, openTarContext } from '../context/tar-context.js';

/** The context as a directory (a tar or tar.gz file is extracted safely first), with `.dockerignore`. */
export async function openContext(
  opts: Pick<BuildOptions, 'context' | 'contextSubPath' | 'dockerfile'>,
  workDir: string,
): Promise<DirectoryContext> {
  const st = await stat(opts.context).catch(() => undefined);
  if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `build context ${opts.context} does not exist`);
  const unpacked = st.isFile() ? await openTarContext(opts.context, { scratchDir: workDir }) : undefined;
  const root = join(unpacked?.root ?? opts.context, opts.contextSubPath ?? '');
  const dockerfilePath = resolveDockerfile(opts.dockerfile, root);
  const specific = await readFile(`${dockerfilePath}.dockerignore`, 'utf8').catch(() => undefined);
  const text = specific ?? (await readFile(join(root, '.dockerignore'), 'utf8').catch(() => ''));
  const matcher = createIgnoreMatcher(text);
  return openDirectoryContext(root, { exclude: (rel) => matcher.ignores(rel) });
}

/** The Dockerfile's path: relative to the context root unless absolute (default `Dockerfile`). */
export function resolveDockerfile(dockerfile: string | undefined, contextRoot: string): string {
  const p = dockerfile ?? 'Dockerfile';
  return isAbsolute(p) ? p : resolve(contextRoot, p);
}

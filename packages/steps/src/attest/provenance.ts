import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createIgnoreMatcher } from '@kaniko-ts/dockerfile';
import { type BuildDescription, ciRun, provenanceStatement } from '@kaniko-ts/sbom';

/** SLSA v1 provenance, as verify's `slsa` and cosign's `slsaprovenance1` name it. */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

const isUrl = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Digest of a build context directory as the build sees it (`.dockerignore` applied): sha256 of the
 * `sha256sum`-style listing `<hex>  <path>\n` of every regular file, sorted by path (bytewise),
 * symlinks hashed by their target text. Reproducible with coreutils:
 * `find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum`.
 */
export async function contextDigest(root: string, options: { dockerfile?: string } = {}): Promise<string> {
  const dockerfile = options.dockerfile ?? join(root, 'Dockerfile');
  const ignoreText =
    (await readFile(`${dockerfile}.dockerignore`, 'utf8').catch(() => undefined)) ??
    (await readFile(join(root, '.dockerignore'), 'utf8').catch(() => ''));
  const matcher = createIgnoreMatcher(ignoreText);
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        await walk(path);
        continue;
      }
      if (matcher.ignores(path)) continue;
      if (e.isFile()) lines.push(`${(await sha256File(join(root, path))).slice(7)}  ${path}\n`);
      else if (e.isSymbolicLink()) {
        const target = await readlink(join(root, path));
        lines.push(`${createHash('sha256').update(target).digest('hex')}  ${path}\n`);
      }
    }
  };
  await walk('');
  const sorted = lines
    .map((l) => ({ l, key: Buffer.from(l.slice(66)) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map((x) => x.l);
  return `sha256:${createHash('sha256').update(sorted.join('')).digest('hex')}`;
}

/** `runDetails.builder.id`: the workflow (GitHub) or runner (GitLab) that ran kaniko-ts. */
export function builderIdOf(env: Readonly<Record<string, string | undefined>>): string {
  const run = ciRun(env);
  if (run?.system === 'github') {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    if (env.GITHUB_WORKFLOW_REF) return `${server}/${env.GITHUB_WORKFLOW_REF}`;
    if (env.GITHUB_REPOSITORY) return `${server}/${env.GITHUB_REPOSITORY}/actions`;
  }
  if (run?.system === 'gitlab') {
    const project =
      env.CI_PROJECT_URL ??
      (env.CI_SERVER_URL && env.CI_PROJECT_PATH ? `${env.CI_SERVER_URL}/${env.CI_PROJECT_PATH}` : undefined);
    if (project) return env.CI_RUNNER_ID ? `${project}/-/runners/${env.CI_RUNNER_ID}` : project;
  }
  return 'https://kaniko-ts.dev/builder/local';
}

/** What the build step knows about one build, for its provenance. */
export interface BuildFacts {
  /** Pushed images: repository and manifest digest. */
  subjects: { name: string; digest: string }[];
  /** Context directory or `.tar`/`.tar.gz` file (absolute), or a URL. */
  context: string;
  contextSubPath?: string;
  /** Dockerfile path (absolute) or URL; default `<context>/Dockerfile`. */
  dockerfile?: string;
  buildArgs: Record<string, string | undefined>;
  /** Build args whose value came from the environment (`KEY` without `=`): recorded by name only if not secret-looking. */
  secretNames?: string[];
  target?: string;
  platform?: string;
  /** Base image reference → manifest digest, as the builder resolved them. */
  baseImages: Record<string, string>;
  startedOn: Date;
  finishedOn: Date;
  env: Readonly<Record<string, string | undefined>>;
}

/** The provenance description of a build: files digested here, everything else passed through. */
export async function describeBuildForProvenance(facts: BuildFacts): Promise<BuildDescription> {
  let context: BuildDescription['context'];
  let dockerfile: BuildDescription['dockerfile'];
  const contextIsDir = !isUrl(facts.context) && (await stat(facts.context)).isDirectory();
  if (!contextIsDir) {
    context = isUrl(facts.context)
      ? { uri: facts.context }
      : { uri: facts.context, digest: await sha256File(facts.context) };
    if (facts.dockerfile !== undefined) dockerfile = { path: facts.dockerfile };
  } else {
    const root = join(facts.context, facts.contextSubPath ?? '');
    const file = facts.dockerfile ?? join(root, 'Dockerfile');
    context = { digest: await contextDigest(root, isUrl(file) ? {} : { dockerfile: file }) };
    if (isUrl(file)) dockerfile = { path: file };
    else {
      const rel = relative(root, file);
      const exists = await lstat(file).catch(() => undefined);
      dockerfile = {
        path: rel.startsWith('..') ? file : rel,
        ...(exists ? { digest: await sha256File(file) } : {}),
      };
    }
  }
  const buildArgs = Object.fromEntries(
    Object.entries(facts.buildArgs).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return {
    subjects: facts.subjects,
    ...(context ? { context } : {}),
    ...(dockerfile ? { dockerfile } : {}),
    buildArgs,
    ...(facts.secretNames ? { secretNames: facts.secretNames } : {}),
    ...(facts.target ? { target: facts.target } : {}),
    ...(facts.platform ? { platform: facts.platform } : {}),
    baseImages: Object.entries(facts.baseImages).map(([name, digest]) => ({ name, digest })),
    builderId: builderIdOf(facts.env),
    env: facts.env,
    startedOn: facts.startedOn,
    finishedOn: facts.finishedOn,
  };
}

/** The SLSA v1 predicate of a build (the statement's subject is written by `attestImage`). */
export async function buildProvenancePredicate(facts: BuildFacts): Promise<unknown> {
  return provenanceStatement(await describeBuildForProvenance(facts)).predicate;
}

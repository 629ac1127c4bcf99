import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One command run in the built image, and what it must print. */
export interface CorpusCheck {
  run: string[];
  entrypoint?: string;
  stdout?: string;
  stdoutFile?: string;
  /** The expected output is whatever the same command prints in Buildah's image of the Dockerfile. */
  compareWithBuildah?: boolean;
}

/** `test/corpus/<name>/case.json`. */
export interface CorpusCase {
  name: string;
  dir: string;
  description: string;
  /** Compare the result with `buildah bud` of the same Dockerfile (false where Buildah 1.28 can't parse it). */
  buildah: boolean;
  buildArgs?: Record<string, string>;
  target?: string;
  checks: CorpusCheck[];
  /** Expected subset of the image's runtime config. */
  config?: Record<string, unknown>;
  author?: string;
  layers?: number;
  /** Paths where BuildKit's behaviour (which kaniko-ts follows) and Buildah 1.28's differ, with the reason. */
  buildahDiffers?: { paths?: string[]; config?: string[]; why: string };
  generate?: { dir: string; count: number; size: number };
  pre?: { dockerfile: string; tag: string }[];
}

export const corpusRoot = fileURLToPath(new URL('../corpus/', import.meta.url));

export async function loadCorpus(): Promise<CorpusCase[]> {
  const names = (await readdir(corpusRoot, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  return Promise.all(
    names.sort().map(async (name) => {
      const dir = join(corpusRoot, name);
      const meta = JSON.parse(await readFile(join(dir, 'case.json'), 'utf8'));
      return { name, dir, ...meta } as CorpusCase;
    }),
  );
}

/** Copies a case's context to `dest` and writes its generated files. */
export async function prepareContext(c: CorpusCase, dest: string): Promise<void> {
  await cp(c.dir, dest, { recursive: true, verbatimSymlinks: true });
  if (c.generate) {
    const dir = join(dest, c.generate.dir);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < c.generate.count; i++) {
      await writeFile(join(dir, `f${String(i).padStart(5, '0')}.txt`), `${i}:`.padEnd(c.generate.size, 'x'));
    }
  }
}

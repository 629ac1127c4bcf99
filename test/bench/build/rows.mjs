// The six Dockerfiles of the "Measured peers" table in the design's TESTING.md, as build contexts.
// Where the correctness corpus (test/corpus) has the same Dockerfile it is reused unchanged (copied
// with its directory); the two rows that differ from their corpus case say why below.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const corpus = fileURLToPath(new URL('../../corpus/', import.meta.url));

/**
 * Kaniko 1.23.2 and Buildah 1.28 seconds from TESTING.md ("Measured peers", same machine type,
 * n=5, scratch on tmpfs). Printed for reference only: they were not measured in this run.
 */
export const PUBLISHED = {
  copy: { kanikoCold: 0.23, kanikoWarm: 0.28, buildahCold: 0.44, buildahWarm: 0.22 },
  multistage: { kanikoCold: 1.34, kanikoWarm: 1.0, buildahCold: 1.82, buildahWarm: 0.09 },
  metadata: { kanikoCold: 0.07, kanikoWarm: 0.07, buildahCold: 0.27, buildahWarm: 0.21 },
  'run-200mb': { kanikoCold: 1.62, kanikoWarm: 1.33, buildahCold: 2.83, buildahWarm: 0.04 },
  whiteout: { kanikoCold: 1.24, kanikoWarm: 0.07, buildahCold: 1.68, buildahWarm: 0.04 },
  'three-runs': { kanikoCold: 1.48, kanikoWarm: 0.1, buildahCold: 2.24, buildahWarm: 0.05 },
};

/**
 * @typedef {{ id: keyof typeof PUBLISHED, title: string, source: string, prepare: (dir: string) => Promise<void> }} Row
 * @type {Row[]}
 */
export const ROWS = [
  {
    id: 'copy',
    title: 'copy of 2,000 small files onto busybox',
    // corpus copy-many-files adds `RUN ls /data | wc -l` as its check; the row measures the COPY alone
    source: 'corpus copy-many-files without its check RUN; 2,000 files of 64 bytes',
    prepare: async (dir) => {
      const text = await readFile(join(corpus, 'copy-many-files', 'Dockerfile'), 'utf8');
      const lines = text.split('\n').filter((l) => !l.startsWith('RUN '));
      if (lines.length === text.split('\n').length) throw new Error('copy-many-files: no RUN line to drop');
      await mkdir(join(dir, 'many'), { recursive: true });
      await writeFile(join(dir, 'Dockerfile'), lines.join('\n'));
      for (let i = 0; i < 2000; i++) {
        await writeFile(join(dir, 'many', `f${String(i).padStart(5, '0')}.txt`), `${i}:`.padEnd(64, 'x'));
      }
    },
  },
  {
    id: 'multistage',
    title: 'multi-stage (debian RUN → busybox COPY --from)',
    source: 'corpus multistage-debian-busybox',
    prepare: (dir) => copyCase('multistage-debian-busybox', dir),
  },
  {
    id: 'metadata',
    title: 'metadata only (ENV ARG WORKDIR USER LABEL EXPOSE ENTRYPOINT CMD)',
    source: 'corpus metadata-only',
    prepare: (dir) => copyCase('metadata-only', dir),
  },
  {
    id: 'run-200mb',
    title: 'RUN writing 200 MB random data',
    // the corpus case writes 24 MB to keep the test suite fast; the row is defined as 200 MB
    source: 'corpus run-large-file with count=24 → count=200 (200 MiB)',
    prepare: async (dir) => {
      await copyCase('run-large-file', dir);
      const text = await readFile(join(dir, 'Dockerfile'), 'utf8');
      if (!text.includes('count=24 '))
        throw new Error('run-large-file: expected `count=24` in its Dockerfile');
      await writeFile(join(dir, 'Dockerfile'), text.replace('count=24 ', 'count=200 '));
    },
  },
  {
    id: 'whiteout',
    title: 'RUN deleting a base file (whiteout) on debian',
    source: 'corpus whiteout-base-file',
    prepare: (dir) => copyCase('whiteout-base-file', dir),
  },
  {
    id: 'three-runs',
    title: 'three RUNs on debian (useradd, mkdir, echo)',
    source: 'corpus three-runs-debian',
    prepare: (dir) => copyCase('three-runs-debian', dir),
  },
];

async function copyCase(name, dir) {
  await cp(join(corpus, name), dir, { recursive: true, verbatimSymlinks: true });
}

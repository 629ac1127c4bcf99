// The six Dockerfiles of the "Measured peers" table in the design's TESTING.md, as build contexts.
// Where the correctness corpus (test/corpus) has the row's Dockerfile it is reused unchanged (copied
// with its directory); the two rows whose corpus case differs have their own Dockerfile and say why.
import { cp, mkdir, writeFile } from 'node:fs/promises';
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
    // like corpus copy-many-files (2,000 files of 64 bytes), without the RUN that case adds as its check
    source:
      'own Dockerfile: busybox, COPY many/ /data/ of 2,000 files of 64 bytes (corpus copy-many-files minus its check RUN)',
    prepare: async (dir) => {
      await mkdir(join(dir, 'many'), { recursive: true });
      await writeFile(
        join(dir, 'Dockerfile'),
        ['ARG REGISTRY', `FROM \${REGISTRY}/base/busybox:latest`, 'COPY many/ /data/', ''].join('\n'),
      );
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
    // the corpus case run-large-file writes 24 MiB of repeated text to keep the suite fast; the row
    // is defined as 200 MB of random (incompressible) data, so the bench has its own Dockerfile
    source: 'own Dockerfile: busybox, RUN dd if=/dev/urandom bs=1M count=200 (200 MiB)',
    prepare: async (dir) => {
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, 'Dockerfile'),
        [
          'ARG REGISTRY',
          `FROM \${REGISTRY}/base/busybox:latest`,
          'RUN dd if=/dev/urandom of=/big bs=1M count=200 2>/dev/null && wc -c < /big > /big.size',
          '',
        ].join('\n'),
      );
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

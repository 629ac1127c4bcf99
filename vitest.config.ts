import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(new URL('./packages', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** Tests run against TypeScript sources: `@kaniko-ts/<pkg>` resolves to `packages/<pkg>/src/index.ts`. */
export default defineConfig({
  resolve: {
    alias: [{ find: /^@kaniko-ts\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    globalSetup: [`${root}test/harness/global-setup.ts`],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      })),
      // End-to-end files share one podman/buildah image store and the registries: one file at a time.
      {
        extends: true as const,
        test: { name: 'e2e', root: 'test', include: ['**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The harness's own tests, runnable alone: `npx vitest run --config test/harness/vitest.harness.config.ts`. */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/harness*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});

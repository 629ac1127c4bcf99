import { inject } from 'vitest';
import type { HarnessInfo } from './harness-info.js';

declare module 'vitest' {
  interface ProvidedContext {
    harness: HarnessInfo;
  }
}

/** What global setup prepared (registries, base images, containers config), inside a test file. */
export function harness(): HarnessInfo {
  const info = inject('harness');
  if (!info) {
    throw new Error(
      "reading the test harness: nothing provided; add globalSetup: ['test/harness/global-setup.ts'] to the vitest config",
    );
  }
  return info;
}

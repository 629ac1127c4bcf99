import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * BuildKit's own test tables live outside the repository, in the project's shared folder
 * (`<project>/shared/conformance/buildkit-dockerfile`, i.e. `../shared/…` from the repository root).
 * They are read in place, never copied. A missing folder fails the test with this message.
 */
export function conformanceDir(): string {
  const dir = fileURLToPath(new URL('../../../../shared/conformance/buildkit-dockerfile/', import.meta.url));
  if (!existsSync(dir)) {
    throw new Error(
      `BuildKit conformance tables not found at ${dir} (expected ../shared/conformance beside the repo)`,
    );
  }
  return dir;
}

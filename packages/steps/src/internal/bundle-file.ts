import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../step-context.js';

/**
 * Writes a Sigstore bundle to `<tempDir>/<kind>-sha256-<hex>.sigstore.json` and returns the path,
 * for the steps' `bundle-path` output.
 */
export async function writeBundleFile(
  ctx: StepContext,
  kind: string,
  digest: string,
  bundle: unknown,
): Promise<string> {
  const path = join(ctx.tempDir, `${kind}-${digest.replace(':', '-')}.sigstore.json`);
  await writeFile(path, JSON.stringify(bundle));
  return path;
}

import { type AnyStep, findStep } from '@kaniko-ts/steps';
import { CliError } from './cli-error.js';

/**
 * The step behind a command, with everything it calls (builder, registry, sigstore, sbom…). main.ts
 * imports this module dynamically once a command is about to run; in the bundled CLI this is the one
 * import that resolves `@kaniko-ts/steps` to the whole package (scripts/gen-bundles.mjs), so `--version`,
 * `--help` and usage errors never evaluate those libraries.
 */
export function loadStep(name: string): AnyStep {
  const step = findStep(name);
  if (step === undefined) throw new CliError('USAGE', `unknown command ${JSON.stringify(name)}`);
  return step;
}

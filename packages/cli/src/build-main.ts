import { buildStep } from '@kaniko-ts/steps';
import { CliError } from './cli-error.js';
import { type MainOptions, runCli } from './run-cli.js';

/**
 * `kaniko-ts build …` with the build step alone: the entry of the CLI's build bundle
 * (`<name>-build.cjs`, scripts/gen-bundles.mjs), which bin.ts runs through a code cache
 * (cached-script.ts). It holds the builder, the registry client and the Dockerfile parser, and
 * behind the build step's lazy imports the sigstore and sbom code of `--sign` and `--sbom`, compiled
 * only when called. With `steps` given, every command the loop knows is one of them, so `loadStep`
 * is only ever asked for something bin.ts never sends here.
 */
export function main(options: MainOptions): Promise<number> {
  return runCli({
    ...options,
    steps: [buildStep],
    loadStep: async (command) => {
      throw new CliError('USAGE', `the build bundle runs only \`build\`, not ${JSON.stringify(command)}`);
    },
  });
}

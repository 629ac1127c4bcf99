import { buildStep } from '@kaniko-ts/steps';
import { CliError } from './cli-error.js';
import { type MainOptions, runCli } from './run-cli.js';

/**
 * `kaniko-ts build …` with the build step alone: the entry of the CLI's build bundle
 * (`<name>-build.cjs`, scripts/gen-bundles.mjs), which bin.ts runs through a code cache
 * (cached-script.ts). It holds the builder, the registry client and the Dockerfile parser, and none
 * of sigstore or sbom. Any other command is main.ts's.
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

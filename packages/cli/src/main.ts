import { type MainOptions, runCli } from './run-cli.js';
import { VERSION } from './version.js';

export { type MainOptions, VERSION };

/**
 * `kaniko-ts <command> [flags]` with every step: a command's step (and the libraries behind it) is
 * imported only when that command runs (see load-step.ts). Returns the exit code.
 */
export function main(options: MainOptions): Promise<number> {
  return runCli({
    ...options,
    loadStep: async (command) => (await import('./load-step.js')).loadStep(command),
  });
}

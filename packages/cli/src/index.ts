export { type CliContextOptions, type CliStreams, createCliContext, envIdentity } from './cli-context.js';
export { CliError, type CliErrorCode } from './cli-error.js';
export { EXIT_CODE_HELP, EXIT_CODES, exitCodeOf } from './exit-codes.js';
export { renderMainHelp, renderStepHelp } from './help.js';
export { type MainOptions, main, VERSION } from './main.js';
export { flagTable, type GlobalOptions, type ParsedArgv, parseArgv } from './parse-argv.js';

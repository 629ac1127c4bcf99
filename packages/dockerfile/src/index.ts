export {
  DockerfileError,
  type DockerfileErrorCode,
  type DockerfileErrorLocation,
} from './dockerfile-error.js';
export {
  createIgnoreMatcher,
  type IgnoreMatcher,
  type IgnorePattern,
  ignoreFileCandidates,
} from './ignore/create-ignore-matcher.js';
export { parseMount } from './instructions/mounts.js';
export { type InstructionParseOptions, parseInstruction } from './instructions/parse-instruction.js';
export type * from './instructions/types.js';
export { type LintOptions, lintDockerfile } from './lint/lint.js';
export { LINT_RULES } from './lint/rules.js';
export type * from './lint/types.js';
export { toBuildkitDump } from './parser/dump.js';
export type * from './parser/node.js';
export { type ParseOptions, parseDockerfile } from './parser/parse.js';
export { createBuildPlan } from './plan/create-build-plan.js';
export { describePlan } from './plan/describe-plan.js';
export { parseOnbuildTriggers } from './plan/onbuild.js';
export { formatPlatform, normalizePlatform, platformArgs } from './plan/platform-args.js';
export { type RunFile, runArgv } from './plan/run-command.js';
export type * from './plan/types.js';
export { type ExpandOptions, expandWord, expandWords, expandWordWithMatches } from './shell/expand.js';
export type { ShellEnv } from './shell/lex.js';

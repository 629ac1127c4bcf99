export {
  DockerfileError,
  type DockerfileErrorCode,
  type DockerfileErrorLocation,
} from './dockerfile-error.js';
export type * from './instructions/types.js';
export type * from './lint/types.js';
export { toBuildkitDump } from './parser/dump.js';
export type * from './parser/node.js';
export { type ParseOptions, parseDockerfile } from './parser/parse.js';
export type * from './plan/types.js';
export { type ExpandOptions, expandWord, expandWords, expandWordWithMatches } from './shell/expand.js';
export type { ShellEnv } from './shell/lex.js';

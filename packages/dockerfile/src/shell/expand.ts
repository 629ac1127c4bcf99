import { DockerfileError, type DockerfileErrorLocation } from '../dockerfile-error.js';
import { type LexOptions, type LexResult, lex, type ShellEnv } from './lex.js';
import { LexError } from './pattern.js';

export interface ExpandOptions {
  /** `\` (default) or `` ` ``: the Dockerfile's escape token. */
  escapeToken?: string;
  /** Windows builders compare variable names case-insensitively. */
  caseInsensitiveEnv?: boolean;
  /** Where the word came from, for the error (a function is only called when there is an error). */
  location?: DockerfileErrorLocation | (() => DockerfileErrorLocation);
}

const NOWHERE: DockerfileErrorLocation = { file: 'Dockerfile', line: 0, column: 0 };

/** Runs the lexer and turns its errors into DockerfileError('EXPANSION') with the given location. */
export function runLexer(word: string, env: ShellEnv, options: ExpandOptions & LexOptions = {}): LexResult {
  try {
    return lex(word, env, options);
  } catch (e) {
    if (e instanceof LexError) {
      const loc = (typeof options.location === 'function' ? options.location() : options.location) ?? NOWHERE;
      throw new DockerfileError(
        'EXPANSION',
        `expanding ${e.message}`,
        { ...loc, text: loc.text ?? word },
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Expands one word as BuildKit does for ENV, LABEL, WORKDIR, USER, COPY/ADD, …: quotes removed,
 * escapes applied, `$VAR` and every `${VAR…}` form substituted. No word splitting.
 */
export function expandWord(word: string, env: ShellEnv, options: ExpandOptions = {}): string {
  return runLexer(word, env, options).result;
}

/** Expands and splits into words (BuildKit's ProcessWords, used for EXPOSE and the words tables). */
export function expandWords(word: string, env: ShellEnv, options: ExpandOptions = {}): string[] {
  return runLexer(word, env, options).words;
}

/** Expands one word and reports which variable names were found and which were not (for UndefinedVar). */
export function expandWordWithMatches(
  word: string,
  env: ShellEnv,
  options: ExpandOptions = {},
): { result: string; matched: string[]; unmatched: string[] } {
  const r = runLexer(word, env, options);
  return { result: r.result, matched: [...r.matched], unmatched: [...r.unmatched] };
}

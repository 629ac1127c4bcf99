import { KanikoError } from '@kaniko-ts/oci';

/** Error codes the Dockerfile frontend throws. */
export type DockerfileErrorCode =
  | 'SYNTAX' // the parser could not read a line (directives, heredocs, JSON with non-strings, …)
  | 'INSTRUCTION' // an instruction has wrong arguments or flags
  | 'EXPANSION' // a `${…}` word could not be expanded (bad substitution, `${VAR:?}` …)
  | 'STAGE' // unknown stage, duplicate name used in `--from`, dependency cycle, unknown target
  | 'EMPTY' // the file has no instructions
  | 'LINT'; // `# check=error=true` (or lint.error) and a check failed

export interface DockerfileErrorLocation {
  /** File name as the caller named it (default `Dockerfile`). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The offending text, quoted in the message. */
  text?: string;
}

/**
 * The one error class of `@kaniko-ts/dockerfile`. Every failure carries a location and renders as
 * `Dockerfile:12:5: parsing RUN: unknown flag "--foo"`.
 */
export class DockerfileError extends KanikoError<DockerfileErrorCode> {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string | undefined;
  /** The message without the `file:line:column: ` prefix. */
  readonly detail: string;

  constructor(
    code: DockerfileErrorCode,
    detail: string,
    location: DockerfileErrorLocation,
    options?: { cause?: unknown },
  ) {
    const quoted = location.text !== undefined ? `: ${JSON.stringify(clip(location.text))}` : '';
    super(code, `${location.file}:${location.line}:${location.column}: ${detail}${quoted}`, options);
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.text = location.text;
    this.detail = detail;
  }
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A 1-based line and 1-based column in the Dockerfile. */
export interface Position {
  line: number;
  column: number;
}

/** A source range: `start` inclusive, `end` is the last line of the instruction (column past its end). */
export interface SourceRange {
  start: Position;
  end: Position;
}

/** A heredoc body attached to RUN/COPY/ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`). */
export interface Heredoc {
  /** Delimiter word with quotes removed (`EOF`). */
  name: string;
  /** File descriptor prefix (`3<<EOF` → 3, default 0). */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator. */
  chomp: boolean;
  /** Body as written, each line with its line ending, terminator excluded (tabs not yet stripped). */
  content: string;
}

/** A parser directive (`# syntax=`, `# escape=`, `# check=`). */
export interface Directive {
  name: 'syntax' | 'escape' | 'check';
  value: string;
  line: number;
}

/**
 * One instruction of the syntax tree, the TypeScript shape of BuildKit's `parser.Node`: the keyword,
 * its `--flags`, the argument list the per-instruction line parser produced, and where it came from.
 */
export interface InstructionNode {
  /** Lower-cased keyword (`run`, `from`, …; unknown keywords are kept too). */
  keyword: string;
  /** Keyword as written, for the casing lint. */
  rawKeyword: string;
  /** `--name=value` words that precede the arguments, quotes removed. */
  flags: string[];
  /** Arguments as BuildKit's line parsers split them (JSON decoded for exec form). */
  args: string[];
  /** True when the arguments were a JSON array (exec form). */
  json: boolean;
  /** ONBUILD's inner instruction. */
  child?: InstructionNode;
  heredocs: Heredoc[];
  /** The logical line after continuations were joined and comments removed (BuildKit's `Original`). */
  original: string;
  range: SourceRange;
  /** Comment lines directly above the instruction, `#` removed. */
  comments: string[];
}

export interface ParseWarning {
  rule: string;
  message: string;
  line: number;
}

export interface DockerfileAst {
  instructions: InstructionNode[];
  escapeToken: '\\' | '`';
  directives: Directive[];
  warnings: ParseWarning[];
  /** Total number of lines read. */
  lineCount: number;
}

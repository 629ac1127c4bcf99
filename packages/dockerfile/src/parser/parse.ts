import { DockerfileError } from '../dockerfile-error.js';
import { isSpace } from '../internal/chars.js';
import { LexError } from '../shell/pattern.js';
import { DirectiveParser } from './directives.js';
import { heredocsFromLine } from './heredoc.js';
import { LineError, type LineParse } from './line-parsers.js';
import type { Directive, DockerfileAst, Heredoc, InstructionNode, ParseWarning } from './node.js';
import { dispatchLineParser } from './node-from-line.js';

export interface ParseOptions {
  /** Name used in error locations (default `Dockerfile`). */
  file?: string;
}

function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return end === s.length ? s : s.slice(0, end);
}
function trimLeadingWhitespace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i] as string)) i++;
  return i === 0 ? s : s.slice(i);
}
const isComment = (s: string) => trimLeadingWhitespace(trimNewline(s)).startsWith('#');

/** Lines with their endings, as BuildKit's scanLines splits them. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
}

function continuationRegex(token: string): RegExp {
  const e = `\\${token}`;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

/**
 * Parses a Dockerfile into its syntax tree exactly as BuildKit's `parser.Parse`: directives, escape
 * token, continuation lines (comments and blank lines inside are skipped), heredoc bodies.
 */
export function parseDockerfile(source: string | Uint8Array, options: ParseOptions = {}): DockerfileAst {
  const file = options.file ?? 'Dockerfile';
  let text = typeof source === 'string' ? source : new TextDecoder().decode(source);
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = splitLines(text);
  const directiveParser = new DirectiveParser();
  const directives: Directive[] = [];
  const warnings: ParseWarning[] = [];
  const instructions: InstructionNode[] = [];
  let escapeToken: '\\' | '`' = '\\';
  let contRe = continuationRegex(escapeToken);
  let comments: string[] = [];
  let idx = 0;

  const fail = (line: number, message: string, raw: string | undefined, cause?: unknown): never => {
    const r = raw !== undefined ? trimNewline(raw) : undefined;
    const column = r !== undefined ? r.length - trimLeadingWhitespace(r).length + 1 : 1;
    throw new DockerfileError(
      'SYNTAX',
      `parsing: ${message}`,
      { file, line, column, text: r?.trim() },
      { cause },
    );
  };

  const processLine = (raw: string, stripLeft: boolean, lineNo: number): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeadingWhitespace(token);
    let d: Directive | undefined;
    try {
      d = directiveParser.parseLine(token);
    } catch (e) {
      fail(lineNo, (e as Error).message, raw);
    }
    if (d) {
      directives.push(d);
      if (d.name === 'escape') {
        if (d.value !== '`' && d.value !== '\\')
          fail(lineNo, `invalid escape token '${d.value}' does not match \` or \\`, raw);
        escapeToken = d.value as '\\' | '`';
        contRe = continuationRegex(escapeToken);
      }
    }
    return token.startsWith('#') ? '' : token;
  };
  const trimContinuation = (line: string): [string, boolean] =>
    contRe.test(line) ? [line.replace(contRe, '$1'), false] : [line, true];

  while (idx < lines.length) {
    const first = lines[idx] as string;
    idx++;
    const startLine = idx;
    if (isComment(first)) {
      const c = trimLeadingWhitespace(trimNewline(first)).slice(1).trim();
      if (c === '') comments = [];
      else comments.push(c);
    }
    let [line, isEnd] = trimContinuation(processLine(first, true, startLine));
    if (isEnd && line === '') continue;
    let emptyContinuation = false;
    while (!isEnd && idx < lines.length) {
      const raw = lines[idx] as string;
      idx++;
      const processed = processLine(raw, false, idx);
      if (isComment(raw)) continue;
      if (trimLeadingWhitespace(trimNewline(processed)) === '') {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, isEnd] = trimContinuation(processed);
      line += part;
    }
    if (emptyContinuation) {
      warnings.push({
        rule: 'NoEmptyContinuation',
        message: `Empty continuation line found in: ${line}`,
        line: idx,
      });
    }
    let parsed: { node: Omit<InstructionNode, 'range' | 'heredocs' | 'comments'>; lp: LineParse };
    try {
      parsed = dispatchLineParser(line, escapeToken);
    } catch (e) {
      if (e instanceof LineError) fail(startLine, e.message, first, e);
      throw e;
    }
    const node: InstructionNode = {
      ...parsed.node,
      heredocs: [],
      comments,
      range: { start: { line: startLine, column: 1 }, end: { line: idx, column: 1 } },
    };
    const target = node.keyword === 'onbuild' && node.child ? node.child : node;
    if (['run', 'copy', 'add'].includes(target.keyword) && !target.json && line.includes('<<')) {
      let headers: ReturnType<typeof heredocsFromLine>;
      try {
        headers = heredocsFromLine(line);
      } catch (e) {
        if (e instanceof LexError) fail(startLine, e.message, first, e);
        throw e;
      }
      for (const h of headers) {
        let content = '';
        let terminated = false;
        while (idx < lines.length) {
          const raw = lines[idx] as string;
          idx++;
          let candidate = trimNewline(raw);
          if (h.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === h.name) {
            terminated = true;
            break;
          }
          content += raw;
        }
        if (!terminated) fail(startLine, 'unterminated heredoc', first);
        const doc: Heredoc = { ...h, content };
        node.heredocs.push(doc);
        if (target !== node) target.heredocs.push(doc);
      }
    }
    const firstTrimmed = trimNewline(first);
    node.range.start.column = firstTrimmed.length - trimLeadingWhitespace(firstTrimmed).length + 1;
    node.range.end = { line: idx, column: trimNewline(lines[idx - 1] as string).length + 1 };
    if (node.child) node.child.range = node.range;
    instructions.push(node);
    comments = [];
  }
  if (instructions.length === 0) {
    throw new DockerfileError('EMPTY', 'parsing: file with no instructions', {
      file,
      line: Math.max(lines.length, 1),
      column: 1,
    });
  }
  return { instructions, escapeToken, directives, warnings, lineCount: lines.length };
}

import { lex } from '../shell/lex.js';
import { LexError } from '../shell/pattern.js';
import type { Heredoc } from './node.js';

const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const count = (s: string) => (s.match(/['"]/g) ?? []).length;

/** `<<EOF`, `<<-"EOF"`, `3<<EOF` → heredoc header (content empty), or undefined if not one. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC.exec(word);
  if (!m) return undefined;
  const rest = m[3] as string;
  if (rest === '') return undefined;
  const words = lex(rest, [], { skipUnsetEnv: true }).words;
  if (words.length !== 1) return undefined;
  const raw = lex(rest, [], { skipUnsetEnv: true, rawQuotes: true }).words;
  if (raw.length !== words.length)
    throw new LexError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const name = words[0] as string;
  return {
    name,
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
    expand: count(name) === count(raw[0] as string),
    chomp: m[2] === '-',
  };
}

/** Every heredoc header on a logical line, in order (several are allowed: `cat <<A <<B`). */
export function heredocsFromLine(line: string): Array<Omit<Heredoc, 'content'>> {
  let words: string[];
  try {
    words = lex(line, [], { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).words;
  } catch (e) {
    if (e instanceof LexError) return [];
    throw e;
  }
  const docs: Array<Omit<Heredoc, 'content'>> = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) docs.push(h);
  }
  return docs;
}

/** `<<-` bodies: strip leading tabs from every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/(^|\n)\t+/g, '$1');
}

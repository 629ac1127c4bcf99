import { isSpace } from '../internal/chars.js';

const TOKEN_WHITESPACE = /[\t\v\f\r ]+/;

/** Keyword, `--flags` and the rest of a logical line (BuildKit's splitCommand). */
export function splitCommand(line: string): {
  keyword: string;
  rawKeyword: string;
  flags: string[];
  rest: string;
} {
  const trimmed = line.trim();
  const m = TOKEN_WHITESPACE.exec(trimmed);
  const rawKeyword = m ? trimmed.slice(0, m.index) : trimmed;
  let rest = '';
  let flags: string[] = [];
  if (m) {
    [rest, flags] = extractBuilderFlags(trimmed.slice(m.index + m[0].length));
  }
  return { keyword: rawKeyword.toLowerCase(), rawKeyword, flags, rest: rest.trim() };
}

/** Leading words that start with `--` are flags (quotes and backslashes processed); `--` ends them. */
export function extractBuilderFlags(line: string): [string, string[]] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  let ch = '';
  for (let pos = 0; pos <= line.length; pos++) {
    if (pos !== line.length) ch = line[pos] as string;
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [line.slice(pos), words];
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos] as string;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos] as string;
    }
    word += ch;
  }
  return ['', words];
}

import { isSpace } from '../internal/chars.js';
/** What a per-instruction line parser produces (BuildKit's Next chain, flattened). */
export interface LineParse {
  args: string[];
  json: boolean;
  /** ONBUILD: the inner line. */
  sub?: string;
}

/** Parse failure inside a line parser; the caller adds the location. */
export class LineError extends Error {}

const WHITESPACE = /[\t\v\f\r ]+/;
const NONE: LineParse = { args: [], json: false };

/** Words separated by spaces; quotes and escapes kept (they are removed later, at expansion). */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let buf = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? '';
    const atEnd = pos === chars.length;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || buf.length > 0) words.push(buf);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || buf.length > 0) words.push(buf);
        buf = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        buf += ch;
        pos++;
        ch = chars[pos] as string;
      }
      buf += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      buf += ch;
      ch = chars[pos] as string;
    }
    buf += ch;
  }
  return words;
}

/** ENV and LABEL: `KEY value` (old form) or `KEY=value …`; each pair is [key, value, sep]. */
export function parseNameVal(rest: string, keyword: string, escapeToken: string): LineParse {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return NONE;
  if (!(words[0] as string).includes('=')) {
    const m = WHITESPACE.exec(rest);
    if (!m) throw new LineError(`${keyword} must have two arguments`);
    return { args: [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''], json: false };
  }
  const args: string[] = [];
  for (const word of words) {
    const i = word.indexOf('=');
    if (i < 0)
      throw new LineError(
        `Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`,
      );
    args.push(word.slice(0, i), word.slice(i + 1), '=');
  }
  return { args, json: false };
}

/** ARG: `name`, `name=value`, several per line. */
export function parseNameOrNameVal(rest: string, escapeToken: string): LineParse {
  return { args: parseWords(rest, escapeToken), json: false };
}

export function parseStringsWhitespaceDelimited(rest: string): LineParse {
  if (rest === '') return NONE;
  return { args: rest.split(/[\t\v\f\r ]+/), json: false };
}

export function parseString(rest: string): LineParse {
  return rest === '' ? NONE : { args: [rest], json: false };
}

const NOT_JSON = Symbol('not json');

function parseJSON(rest: string): LineParse | typeof NOT_JSON {
  const r = rest.replace(/^\s+/u, '');
  if (!r.startsWith('[')) return NOT_JSON;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r);
  } catch {
    return NOT_JSON;
  }
  if (!Array.isArray(parsed)) return NOT_JSON;
  if (!parsed.every((v) => typeof v === 'string')) {
    throw new LineError('when using JSON array syntax, arrays must be comprised of strings only');
  }
  return { args: parsed as string[], json: true };
}

/** CMD, ENTRYPOINT, RUN, SHELL: JSON array, else the whole text as one argument. */
export function parseMaybeJSON(rest: string): LineParse {
  if (rest === '') return NONE;
  const j = parseJSON(rest);
  return j === NOT_JSON ? { args: [rest], json: false } : j;
}

/** ADD, COPY, VOLUME: JSON array, else whitespace-separated words. */
export function parseMaybeJSONToList(rest: string): LineParse {
  const j = parseJSON(rest);
  return j === NOT_JSON ? parseStringsWhitespaceDelimited(rest) : j;
}

/** HEALTHCHECK: a type word (`CMD`, `NONE`) then parseMaybeJSON. */
export function parseHealthConfig(rest: string): LineParse {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep] as string)) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next] as string)) next++;
  if (sep === 0) return NONE;
  const cmd = parseMaybeJSON(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}

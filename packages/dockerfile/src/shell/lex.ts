import { isDigit, isLetter, isSpace } from '../internal/chars.js';
import { LexError, replacePattern, trimPrefix, trimSuffix } from './pattern.js';

/** Variables visible to expansion: a map, a record, or `KEY=value` strings (the last one wins). */
export type ShellEnv = ReadonlyMap<string, string> | Readonly<Record<string, string>> | readonly string[];

export interface LexOptions {
  /** `\` (default) or `` ` `` from `# escape=`. */
  escapeToken?: string;
  /** Keep quote characters in the result (heredoc delimiter detection). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave quotes alone entirely. */
  skipProcessQuotes?: boolean;
  /** Leave `$VAR` of unset variables as written. */
  skipUnsetEnv?: boolean;
  /** Windows semantics: variable names compare case-insensitively (`$pwd` is `$PWD`). */
  caseInsensitiveEnv?: boolean;
}

export interface LexResult {
  result: string;
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

const EOF = '';

/** Words being collected for word splitting (BuildKit's wordsStruct). */
class Words {
  buf = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  get(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

function toLookup(env: ShellEnv, caseInsensitive: boolean): (name: string) => string | undefined {
  if (!caseInsensitive && env instanceof Map) return (name) => env.get(name);
  const norm = caseInsensitive ? (k: string) => k.toUpperCase() : (k: string) => k;
  const map = new Map<string, string>();
  if (Array.isArray(env)) {
    for (const e of env as readonly string[]) {
      const i = e.indexOf('=');
      map.set(norm(i < 0 ? e : e.slice(0, i)), i < 0 ? '' : e.slice(i + 1));
    }
  } else if (env instanceof Map) {
    for (const [k, v] of env) map.set(norm(k), v);
  } else {
    for (const [k, v] of Object.entries(env as Record<string, string>)) map.set(norm(k), v);
  }
  return (name) => map.get(norm(name));
}

/** One run of the lexer over one word (BuildKit's shellWord). */
class ShellWord {
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  constructor(
    private readonly chars: string[],
    private readonly get: (name: string) => string | undefined,
    private readonly opt: Required<LexOptions>,
  ) {
    this.rawEscapes = opt.rawEscapes;
  }
  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  processStopOn(stop: string, rawEscapes: boolean): [string, string[]] {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.stopOn(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private stopOn(stop: string): [string, string[]] {
    let result = '';
    const words = new Words();
    const esc = this.opt.escapeToken;
    while (this.peek() !== EOF) {
      let ch = this.peek();
      if (stop !== EOF && ch === stop) {
        this.next();
        return [result, words.get()];
      }
      if (ch === '$' || (!this.opt.skipProcessQuotes && (ch === "'" || ch === '"'))) {
        const tmp = ch === '$' ? this.dollar() : ch === "'" ? this.singleQuote() : this.doubleQuote();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      ch = this.next();
      if (ch === esc) {
        if (this.rawEscapes) {
          words.addRawChar(ch);
          result += ch;
        }
        ch = this.next();
        if (ch === EOF) break;
        words.addRawChar(ch);
      } else words.addChar(ch);
      result += ch;
    }
    if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
    return [result, words.get()];
  }

  private singleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opt.rawQuotes) result += ch;
    for (;;) {
      ch = this.next();
      if (ch === EOF)
        throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opt.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private doubleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opt.rawQuotes) result += ch;
    for (;;) {
      const p = this.peek();
      if (p === EOF)
        throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        ch = this.next();
        if (this.opt.rawQuotes) result += ch;
        return result;
      }
      if (p === '$') {
        result += this.dollar();
        continue;
      }
      ch = this.next();
      if (ch === this.opt.escapeToken) {
        if (this.rawEscapes) result += ch;
        const n = this.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.opt.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  private lookup(name: string): string | undefined {
    const v = this.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.opt.skipUnsetEnv) return `$${name}`;
      return v ?? '';
    }
    this.next();
    const p = this.peek();
    if (p === EOF) throw new LexError("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') throw new LexError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let chs = ch;
    let nullIsUnset = false;
    if (ch === '}') {
      const v = this.lookup(name);
      if (v === undefined && this.opt.skipUnsetEnv) return `\${${name}}`;
      return v ?? '';
    }
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch;
    } else if (ch === '/') {
      return this.replace(name);
    } else if (!['+', '-', '?', '#', '%'].includes(ch)) {
      throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
    const raw = ch === '#' || ch === '%';
    if (nullIsUnset && raw) throw new LexError(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      [word] = this.processStopOn('}', raw);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    const set = value !== undefined;
    if (this.opt.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    const empty = !set || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return empty ? word : (value as string);
      case '+':
        return empty ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '')
          throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value as string;
      case '%':
      case '#': {
        let greedy = false;
        if (word.startsWith(ch)) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private replace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    let replacement: string;
    try {
      [pattern] = this.processStopOn('/', true);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError(`syntax error: missing '/' in \${}`);
      throw e;
    }
    try {
      [replacement] = this.processStopOn('}', true);
    } catch (e) {
      if (this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    if (this.opt.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    return replacePattern(value ?? '', pattern, replacement, all);
  }

  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && '@*#?-$!0'.includes(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }
}

/**
 * BuildKit's shell-word lexer: quotes, escapes and `$VAR`/`${VAR…}` expansion against an injected
 * environment. Throws LexError (internal) on bad input; the public wrappers add locations.
 */
export function lex(word: string, env: ShellEnv, options: LexOptions = {}): LexResult {
  const escapeToken = options.escapeToken ?? '\\';
  if (!hasSpecial(word, escapeToken)) return plainWord(word);
  const opt: Required<LexOptions> = {
    escapeToken,
    rawQuotes: options.rawQuotes ?? false,
    rawEscapes: options.rawEscapes ?? false,
    skipProcessQuotes: options.skipProcessQuotes ?? false,
    skipUnsetEnv: options.skipUnsetEnv ?? false,
    caseInsensitiveEnv: options.caseInsensitiveEnv ?? false,
  };
  const sw = new ShellWord(Array.from(word), toLookup(env, opt.caseInsensitiveEnv), opt);
  try {
    const [result, words] = sw.processStopOn(EOF, opt.rawEscapes);
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (e) {
    if (e instanceof LexError) throw new LexError(`failed to process ${JSON.stringify(word)}: ${e.message}`);
    throw e;
  }
}

function hasSpecial(word: string, escapeToken: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === '$' || c === '"' || c === "'" || c === escapeToken) return true;
  }
  return false;
}

const NONE = new Set<string>();

/** A word without `$`, quotes or escapes expands to itself; only word splitting applies. */
function plainWord(word: string): LexResult {
  const words = new Words();
  for (const ch of word) words.addChar(ch);
  return { result: word, words: words.get(), matched: NONE, unmatched: NONE };
}

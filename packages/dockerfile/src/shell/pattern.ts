/** Thrown inside the lexer; turned into a DockerfileError with a location by the callers. */
export class LexError extends Error {}

const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

/**
 * Shell wildcard pattern (`*`, `?`, backslash escapes; no bracket expressions) → RegExp, as BuildKit's
 * `${VAR#…}`, `${VAR%…}` and `${VAR/…/…}` use it. `\}` and `\/` drop the backslash.
 */
export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '.*' : '.*?';
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i] as string;
    if (tok === '*') {
      out += star;
      continue;
    }
    if (tok === '?') {
      out += '.';
      continue;
    }
    if (tok === '\\') {
      const next = chars[i + 1];
      if (next === '}' || next === '/') continue;
      i++;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new LexError(`invalid escape '\\${next ?? ''}'`);
      }
      out += `\\${next}`;
      continue;
    }
    if (REGEX_SPECIAL.has(tok)) out += '\\';
    out += tok;
  }
  return new RegExp(out, 'u');
}

function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i] as string;
    const outIdx = last - i;
    if (tok === '\\' && i !== last) {
      out[outIdx - 1] = tok;
      out[outIdx] = runes[i + 1] as string;
      i += 2;
    } else {
      out[outIdx] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = compile(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const re = compile(pattern, true, false);
  if (all) return replaceAllGo(value, new RegExp(re.source, 'gu'), replacement);
  const m = re.exec(value);
  if (!m) return value;
  return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
}

function compile(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  try {
    return shellPatternToRegex(pattern, greedy, anchored);
  } catch (e) {
    throw new LexError(`invalid pattern (${pattern}) in substitution: ${(e as Error).message}`);
  }
}

/** Go's ReplaceAllString: an empty match right after the previous match is ignored. */
function replaceAllGo(value: string, re: RegExp, replacement: string): string {
  let out = '';
  let last = 0;
  let prevEnd = -1;
  re.lastIndex = 0;
  while (re.lastIndex <= value.length) {
    const m = re.exec(value);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (!(m[0].length === 0 && start === prevEnd)) {
      out += value.slice(last, start) + replacement;
      last = end;
    }
    prevEnd = end;
    if (m[0].length === 0) {
      const cp = value.codePointAt(end);
      re.lastIndex = end + (cp !== undefined && cp > 0xffff ? 2 : 1);
    }
  }
  return out + value.slice(last);
}

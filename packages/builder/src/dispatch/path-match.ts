/**
 * Go's `path.Match` for one path segment, which is what BuildKit uses for COPY/ADD sources:
 * `*` (any run of non-`/` characters, dot files included), `?`, `[abc]`, `[a-z]`, `[^x]`, `\` escapes.
 * Throws on a malformed pattern (unterminated class), as Go returns ErrBadPattern.
 */
export function matchSegment(pattern: string, name: string): boolean {
  return matchAt(pattern, 0, name, 0);
}

function matchAt(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi] as string;
    if (c === '*') {
      while (p[pi] === '*') pi++;
      if (pi === p.length) return !s.slice(si).includes('/');
      for (let k = si; k <= s.length; k++) {
        if (k > si && s[k - 1] === '/') break;
        if (matchAt(p, pi, s, k)) return true;
      }
      return false;
    }
    if (si >= s.length) return false;
    const ch = s[si] as string;
    if (c === '?') {
      if (ch === '/') return false;
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const end = classEnd(p, pi);
      if (!classMatches(p.slice(pi + 1, end), ch)) return false;
      pi = end + 1;
      si++;
      continue;
    }
    if (c === '\\') {
      pi++;
      if (pi >= p.length) throw new Error(`syntax error in pattern ${p}`);
    }
    if (p[pi] !== ch) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  for (; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === ']') return i;
  }
  throw new Error(`syntax error in pattern ${p}`);
}

function classMatches(body: string, ch: string): boolean {
  let negate = false;
  let i = 0;
  if (body[0] === '^') {
    negate = true;
    i = 1;
  }
  let matched = false;
  while (i < body.length) {
    let lo = body[i] as string;
    if (lo === '\\') lo = body[++i] ?? '';
    i++;
    let hi = lo;
    if (body[i] === '-' && i + 1 < body.length) {
      hi = body[i + 1] as string;
      if (hi === '\\') hi = body[i + 2] ?? '';
      i += hi === body[i + 1] ? 2 : 3;
    }
    if (lo <= ch && ch <= hi) matched = true;
  }
  return matched !== negate;
}

/** True when the text contains a wildcard BuildKit would expand. */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern.replace(/\\./g, ''));
}

const UNICODE_SPACE = /^\s$/u;
const UNICODE_DIGIT = /^\p{Nd}$/u;
const UNICODE_LETTER = /^\p{L}$/u;

/** Go's unicode.IsSpace (ASCII fast path). */
export function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0x85 || c === 0xa0 || UNICODE_SPACE.test(ch);
}

/** Go's unicode.IsDigit. */
export function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return c >= 48 && c <= 57;
  return UNICODE_DIGIT.test(ch);
}

/** Go's unicode.IsLetter. */
export function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return UNICODE_LETTER.test(ch);
}

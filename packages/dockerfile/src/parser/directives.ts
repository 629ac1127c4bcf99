import type { Directive } from './node.js';

const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const VALID = new Set(['syntax', 'escape', 'check']);

/**
 * BuildKit's directive parser: directives are `# key=value` comment lines at the very top; the
 * first line that is not one (blank line, other comment, instruction) ends the directive block.
 */
export class DirectiveParser {
  private line = 0;
  private done = false;
  private readonly seen = new Set<string>();

  /** Returns the directive on this line, `undefined` if none; throws on a repeated directive. */
  parseLine(text: string): Directive | undefined {
    this.line++;
    if (this.done) return undefined;
    if (!text.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const m = DIRECTIVE.exec(text.slice(1).replace(/^\s+/u, ''));
    const key = m?.[1]?.toLowerCase();
    if (!m || key === undefined || !VALID.has(key)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(key)) throw new Error(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    return { name: key as Directive['name'], value: m[2] as string, line: this.line };
  }
}

/** `# check=skip=A,B;error=true` → skip list and error flag. */
export function parseCheckDirective(value: string): { skip: string[]; skipAll: boolean; error: boolean } {
  const out = { skip: [] as string[], skipAll: false, error: false };
  for (const part of value.split(';')) {
    const [k, v = ''] = part.split('=', 2).map((s) => s.trim()) as [string, string?];
    if (k.toLowerCase() === 'skip') {
      for (const id of v.split(',').map((s) => s.trim())) {
        if (id.toLowerCase() === 'all') out.skipAll = true;
        else if (id) out.skip.push(id);
      }
    } else if (k.toLowerCase() === 'error') out.error = v.toLowerCase() === 'true';
  }
  return out;
}

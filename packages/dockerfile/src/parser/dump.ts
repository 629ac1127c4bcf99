import type { DockerfileAst, InstructionNode } from './node.js';

const isPrint = (ch: string) => ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);

/** Go's strconv.Quote (double-quoted, Go escapes, non-printable runes as \x, \u or \U). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (isPrint(ch)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** One node as BuildKit's `Node.Dump()` renders it (without the outer parentheses). */
export function dumpNode(node: InstructionNode): string {
  let str = node.keyword;
  if (node.flags.length > 0) str += ` [${node.flags.map(goQuote).join(' ')}]`;
  if (node.child) str += ` (${dumpNode(node.child)})`;
  for (const a of node.args) str += ` ${goQuote(a)}`;
  return str.trim();
}

/** The s-expression dump BuildKit's parser tests compare against (`testfiles/*\/result`). */
export function toBuildkitDump(ast: DockerfileAst): string {
  return ast.instructions.map((n) => `(${dumpNode(n)})\n`).join('');
}

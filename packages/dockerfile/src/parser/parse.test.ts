import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../dockerfile-error.js';
import { toBuildkitDump } from './dump.js';
import { parseDockerfile } from './parse.js';

function parseError(src: string): DockerfileError {
  try {
    parseDockerfile(src);
  } catch (e) {
    if (e instanceof DockerfileError) return e;
    throw e;
  }
  throw new Error('expected a DockerfileError');
}

describe('parser directives', () => {
  it('reads syntax, escape and check at the top only', () => {
    const ast = parseDockerfile(
      '# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=JSONArgsRecommended\nFROM a\n# escape=\\\nRUN a `\n b\n',
    );
    expect(ast.directives.map((d) => [d.name, d.value, d.line])).toEqual([
      ['syntax', 'docker/dockerfile:1', 1],
      ['escape', '`', 2],
      ['check', 'skip=JSONArgsRecommended', 3],
    ]);
    expect(ast.escapeToken).toBe('`');
    expect(toBuildkitDump(ast)).toBe('(from "a")\n(run "a  b")\n');
  });
  it('stops looking after a blank line or another comment', () => {
    expect(parseDockerfile('\n# escape=`\nFROM a\n').escapeToken).toBe('\\');
    expect(parseDockerfile('# hello\n# escape=`\nFROM a\n').escapeToken).toBe('\\');
  });
  it('rejects a repeated directive and a bad escape token, with the line', () => {
    const e = parseError('# escape=`\n# escape=\\\nFROM a\n');
    expect(e.message).toBe(
      'Dockerfile:2:1: parsing: only one escape parser directive can be used: "# escape=\\\\"',
    );
    expect(parseError('# escape=x\nFROM a').message).toMatch(
      /^Dockerfile:1:1: parsing: invalid escape token 'x'/,
    );
  });
});

describe('lines and ranges', () => {
  it('gives 1-based line and column ranges across continuations', () => {
    const ast = parseDockerfile('FROM a\n\n   RUN echo a \\\n  b \\\n  c\nCMD x\n');
    const run = ast.instructions[1];
    expect(run?.range).toEqual({ start: { line: 3, column: 4 }, end: { line: 5, column: 4 } });
    expect(run?.original).toBe('RUN echo a   b   c');
    expect(ast.instructions[2]?.range.start).toEqual({ line: 6, column: 1 });
  });
  it('handles CRLF line endings and a byte-order mark', () => {
    const ast = parseDockerfile('\uFEFFFROM a\r\nRUN b \\\r\n c\r\n');
    expect(toBuildkitDump(ast)).toBe('(from "a")\n(run "b  c")\n');
  });
  it('accepts bytes', () => {
    expect(toBuildkitDump(parseDockerfile(new TextEncoder().encode('FROM ü\n')))).toBe('(from "ü")\n');
  });
  it('keeps comments above an instruction and warns about empty continuation lines', () => {
    const ast = parseDockerfile('FROM a\n# first\n# second\nRUN a \\\n\n b\n');
    expect(ast.instructions[1]?.comments).toEqual(['first', 'second']);
    expect(ast.warnings.map((w) => w.rule)).toEqual(['NoEmptyContinuation']);
  });
  it('an empty file is an error', () => {
    const e = parseError('# only a comment\n\n');
    expect(e.code).toBe('EMPTY');
    expect(e.message).toMatch(/^Dockerfile:2:1: parsing: file with no instructions/);
  });
  it('keeps instruction casing for the lint and lower-cases the keyword', () => {
    const n = parseDockerfile('fRoM a').instructions[0];
    expect([n?.keyword, n?.rawKeyword]).toEqual(['from', 'fRoM']);
  });
});

describe('JSON and shell forms', () => {
  it('falls back to shell form for invalid JSON', () => {
    const ast = parseDockerfile('CMD ["a", \'b\']\nCMD [ "a" ] trailing\n');
    expect(ast.instructions.map((n) => n.json)).toEqual([false, false]);
  });
  it('rejects JSON arrays of non-strings with the location', () => {
    const e = parseError('FROM a\n  CMD ["a", 1]\n');
    expect(e.code).toBe('SYNTAX');
    expect(e.message).toBe(
      'Dockerfile:2:3: parsing: when using JSON array syntax, arrays must be comprised of strings only: "CMD [\\"a\\", 1]"',
    );
  });
  it('ENV old form needs two words', () => {
    expect(parseError('FROM a\nENV onlykey\n').message).toMatch(
      /^Dockerfile:2:1: parsing: ENV must have two arguments/,
    );
  });
});

describe('heredocs', () => {
  it('reads several heredocs of one line, in order', () => {
    const n = parseDockerfile('FROM a\nRUN cat <<A <<"B" > f\na $x\nA\nb $x\nB\nRUN next\n').instructions[1];
    expect(n?.heredocs).toEqual([
      { name: 'A', fileDescriptor: 0, expand: true, chomp: false, content: 'a $x\n' },
      { name: 'B', fileDescriptor: 0, expand: false, chomp: false, content: 'b $x\n' },
    ]);
    expect(n?.range.end.line).toBe(6);
  });
  it('<<- strips leading tabs from the terminator', () => {
    const n = parseDockerfile("FROM a\nRUN <<-'E'\n\tx\n\tE\n").instructions[1];
    expect(n?.heredocs[0]).toMatchObject({ name: 'E', chomp: true, expand: false, content: '\tx\n' });
  });
  it('is not read for exec form or for other instructions', () => {
    const ast = parseDockerfile('FROM a\nRUN ["<<EOF"]\nLABEL a=<<EOF\n');
    expect(ast.instructions.map((n) => n.heredocs.length)).toEqual([0, 0, 0]);
  });
  it('ONBUILD RUN <<EOF carries the heredoc', () => {
    const n = parseDockerfile('FROM a\nONBUILD RUN <<EOF\nhi\nEOF\n').instructions[1];
    expect(n?.child?.heredocs.map((h) => h.content)).toEqual(['hi\n']);
  });
  it('an unterminated heredoc is an error at the instruction', () => {
    const e = parseError('FROM a\nRUN <<EOF\necho\n');
    expect(e.message).toBe('Dockerfile:2:1: parsing: unterminated heredoc: "RUN <<EOF"');
  });
});

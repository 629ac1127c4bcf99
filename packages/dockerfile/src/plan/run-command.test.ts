import { describe, expect, it } from 'vitest';
import { parseInstruction } from '../instructions/parse-instruction.js';
import type { RunInstruction } from '../instructions/types.js';
import { parseDockerfile } from '../parser/parse.js';
import { runArgv } from './run-command.js';

const run = (src: string) =>
  parseInstruction(parseDockerfile(src).instructions[0] as never) as RunInstruction;

describe('runArgv (BuildKit dispatchRun)', () => {
  it('exec form is run as is; shell form through the shell', () => {
    expect(runArgv(run('RUN ["a", "b"]').command)).toEqual({ argv: ['a', 'b'], files: [] });
    expect(runArgv(run('RUN echo $HOME').command, ['/bin/bash', '-c'])).toEqual({
      argv: ['/bin/bash', '-c', 'echo $HOME'],
      files: [],
    });
  });
  it('a single heredoc is the script; with #! it becomes an executable file', () => {
    expect(runArgv(run('RUN <<EOF\necho hi\nEOF\n').command).argv).toEqual(['/bin/sh', '-c', 'echo hi\n']);
    expect(runArgv(run('RUN <<-EOF\n\techo hi\n\tEOF\n').command).argv).toEqual([
      '/bin/sh',
      '-c',
      'echo hi\n',
    ]);
    expect(runArgv(run('RUN <<S\n#!/usr/bin/env python3\nprint(1)\nS\n').command)).toEqual({
      argv: ['/bin/sh', '-c', '/dev/pipes/S'],
      files: [{ path: '/dev/pipes/S', mode: 0o755, content: '#!/usr/bin/env python3\nprint(1)\n' }],
    });
  });
  it('other heredoc commands get the bodies appended for the shell', () => {
    expect(runArgv(run('RUN cat <<A > /a && cat <<B\none\nA\ntwo\nB\n').command).argv).toEqual([
      '/bin/sh',
      '-c',
      'cat <<A > /a && cat <<B\none\nA\ntwo\nB',
    ]);
    expect(runArgv(run('RUN <<EOF bash\necho\nEOF\n').command).argv).toEqual([
      '/bin/sh',
      '-c',
      '<<EOF bash\necho\nEOF',
    ]);
  });
});

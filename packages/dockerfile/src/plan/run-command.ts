import type { CommandLine } from '../instructions/types.js';
import { chompHeredocContent, parseHeredocWord } from '../parser/heredoc.js';

/** A file BuildKit mounts for a RUN whose whole command is one heredoc starting with `#!`. */
export interface RunFile {
  /** Absolute path inside the container (read-only mount). */
  path: string;
  mode: number;
  content: string;
}

/**
 * The argv a RUN executes, as BuildKit's dispatchRun builds it: exec form as is; shell form through
 * `shell` (the image's SHELL, default `["/bin/sh", "-c"]`). Heredocs: when the whole command is a
 * single heredoc (`RUN <<EOF`) its body is the script — written to `/dev/pipes/<name>` (mode 0755)
 * and run when it starts with `#!`, passed to the shell otherwise; in any other case the heredoc
 * bodies are appended to the command text (`cmd\n<body><NAME>`) for the shell to handle. Bodies are
 * not expanded here (the shell does that), `<<-` bodies lose their leading tabs.
 */
export function runArgv(
  command: CommandLine,
  shell: readonly string[] = ['/bin/sh', '-c'],
): { argv: string[]; files: RunFile[] } {
  if (command.form === 'exec') return { argv: [...command.args], files: [] };
  let text = command.text;
  const files: RunFile[] = [];
  const docs = command.heredocs;
  if (docs.length > 0) {
    const first = docs[0];
    const whole = parseHeredocWord(text);
    if (whole && first) {
      const data = first.chomp ? chompHeredocContent(first.content) : first.content;
      if (data.startsWith('#!')) {
        const path = `/dev/pipes/${first.name}`;
        files.push({ path, mode: 0o755, content: data });
        text = path;
      } else text = data;
    } else {
      for (const d of docs) text += `\n${d.content}${d.name}`;
    }
  }
  return { argv: [...shell, text], files };
}

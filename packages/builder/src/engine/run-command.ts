import type { Heredoc, PlannedRun } from '@kaniko-ts/dockerfile';
import { commandArgv } from '../dispatch/metadata.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The argv a RUN executes, as BuildKit builds it: exec form as is; shell form through the image's
 * SHELL; a RUN whose command is only a heredoc runs the heredoc body as the script; other heredocs
 * stay part of the script so the shell itself feeds them to the command.
 */
export function runArgv(run: PlannedRun, shell: string[] | undefined): string[] {
  const cmd = run.command;
  if (cmd.form === 'exec' || cmd.heredocs.length === 0) return commandArgv(cmd, shell);
  const [only] = cmd.heredocs;
  if (cmd.heredocs.length === 1 && only && isOnlyMarker(cmd.text, only)) {
    return commandArgv({ form: 'shell', text: body(only), heredocs: [] }, shell);
  }
  const script = [cmd.text, ...cmd.heredocs.map((h) => `${body(h)}${h.name}`)].join('\n');
  return commandArgv({ form: 'shell', text: script, heredocs: [] }, shell);
}

function isOnlyMarker(text: string, h: Heredoc): boolean {
  const t = text
    .trim()
    .replace(/^\d*<<-?/, '')
    .replace(/["']/g, '');
  return t === h.name;
}

/** Heredoc body with `<<-` tab stripping applied. */
export function body(h: Heredoc): string {
  if (!h.chomp) return h.content;
  return h.content.replace(/^\t+/gm, '');
}

/**
 * The environment of a RUN process: the planned environment, plus PATH and HOME defaults when the
 * image sets none (BuildKit adds the same).
 */
export function runEnvironment(run: PlannedRun, home: string): string[] {
  const env = new Map<string, string>();
  for (const [k, v] of run.environment) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOME')) env.set('HOME', home);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export { DEFAULT_PATH };

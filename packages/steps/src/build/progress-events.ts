import type { BuildOptions } from '@kaniko-ts/builder';
import type { StepContext } from '../step-context.js';

/**
 * Build progress as structured log fields: every event is an `info` line whose fields carry
 * `event` (`stage`, `instruction-start`, `instruction-end`, `output`). Plain logs print the
 * message; adapters that render progress (the CLI on a terminal) read the fields.
 */
export type BuildProgressFields =
  | { event: 'stage'; stage: number; name?: string; base: string; instructions?: number }
  | { event: 'instruction-start'; stage: number; line: number; text: string }
  | {
      event: 'instruction-end';
      stage: number;
      line: number;
      text: string;
      durationMs: number;
      cached: boolean;
      /** Compressed size of the layer the instruction made, when it made one. */
      layerSize?: number;
    }
  | { event: 'output'; stream: 'stdout' | 'stderr' };

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The builder's events as log lines with progress fields; `cached` collects cache hits per `stage:line`. */
export function progressEvents(ctx: StepContext, cached: Map<string, boolean>): BuildOptions['events'] {
  const info = (message: string, fields: BuildProgressFields) =>
    ctx.log.info(message, fields as unknown as Record<string, unknown>);
  // RUN output arrives in arbitrary chunks: lines are completed before they are logged
  const pending = { stdout: '', stderr: '' };
  const sent = new Map<string, number>();
  const flush = () => {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (pending[stream] !== '') info(pending[stream], { event: 'output', stream });
      pending[stream] = '';
    }
  };
  return {
    stage: (e) =>
      info(`stage ${e.index}${e.name ? ` (${e.name})` : ''}: FROM ${e.base}`, {
        event: 'stage',
        stage: e.index,
        ...(e.name ? { name: e.name } : {}),
        base: e.base,
        ...(e.instructions !== undefined ? { instructions: e.instructions } : {}),
      }),
    instructionStart: (e) =>
      info(`stage ${e.stage}, line ${e.line}: ${e.text}`, {
        event: 'instruction-start',
        stage: e.stage,
        line: e.line,
        text: e.text,
      }),
    instructionEnd: (e) => {
      flush();
      cached.set(`${e.stage}:${e.line}`, e.cached === true);
      const what = [
        `${(e.durationMs / 1000).toFixed(2)} s`,
        ...(e.cached ? ['cached'] : []),
        ...(e.layer ? [`layer ${formatBytes(e.layer.size)}`] : []),
      ].join(', ');
      info(`stage ${e.stage}, line ${e.line}: done (${what})`, {
        event: 'instruction-end',
        stage: e.stage,
        line: e.line,
        text: e.text,
        durationMs: e.durationMs,
        cached: e.cached === true,
        ...(e.layer ? { layerSize: e.layer.size } : {}),
      });
    },
    output: (chunk, stream) => {
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) if (line !== '') info(line, { event: 'output', stream });
    },
    // uploads: at most one report per blob and destination per percent
    push: (e) => {
      const key = `${e.destination} ${e.digest}`;
      const percent = e.size > 0 ? Math.floor((e.bytes / e.size) * 100) : 100;
      if ((sent.get(key) ?? -1) >= percent) return;
      sent.set(key, percent);
      ctx.log.progress(`pushing ${e.digest.slice(7, 19)} to ${e.destination}`, e.bytes, e.size);
    },
    // builder notes are debug lines, except those it marks as warnings (e.g. xattrs dropped) and
    // the executor/snapshotter choice, which users need to see to know how their build ran
    info: (m) => {
      if (m.startsWith('warning: ')) ctx.log.warn(m.slice('warning: '.length));
      else if (m.startsWith('executor: ')) ctx.log.info(m);
      else ctx.log.debug(m);
    },
  };
}

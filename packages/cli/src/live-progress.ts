/**
 * Live build progress on a terminal: finished instructions scroll up as permanent lines, and one
 * status line at the bottom is redrawn in place (stage and step counter, the instruction running,
 * its elapsed time, or a transfer's bar). Other output (RUN output, log lines) is printed above
 * the status line: `clear()` before writing, `redraw()` after.
 *
 * All state lives in the object `createLiveProgress` returns; its ticker is unref'd and stopped
 * by `close()`.
 */
export interface LiveProgress {
  /** Handles a progress event (fields of a `stage`/`instruction-*`/`output` log line); false if not one. */
  event(message: string, fields: Record<string, unknown>): boolean;
  /** A long task's progress (a layer upload…) shown on the status line. */
  task(name: string, current: number, total?: number): void;
  /** Erases the status line so something else can be printed. */
  clear(): void;
  /** Draws the status line again (after `clear()`). */
  redraw(): void;
  close(): void;
}

export interface LiveProgressOptions {
  write(s: string): unknown;
  /** Terminal width (default 80). */
  columns?: number;
  now(): number;
  /** Redraw period of the elapsed-time ticker in ms (default 250; 0 = no ticker). */
  tickMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const cyan = (s: string) => `\x1b[36m${s}\x1b[0m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[0m`;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
/** Cuts to `width` visible characters (the text has no escape codes). */
const fit = (s: string, width: number) => (s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function createLiveProgress(opts: LiveProgressOptions): LiveProgress {
  const columns = Math.max(60, opts.columns || 80);
  const started = opts.now();
  let frame = 0;
  let shown = false;
  let closed = false;
  let stage: { index: number; label: string; steps: number; total?: number } | undefined;
  let stagesSeen = 0;
  let running: { text: string; since: number; step: number } | undefined;
  let transfer: { name: string; current: number; total?: number } | undefined;

  const status = (): string | undefined => {
    const spin = SPINNER[frame % SPINNER.length] as string;
    const total = seconds(opts.now() - started);
    if (transfer) {
      const { name, current, total: of } = transfer;
      if (of !== undefined && of > 0) {
        const width = 20;
        const filled = Math.min(width, Math.round((current / of) * width));
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((current / of) * 100)}%`;
        return `${cyan(spin)} ${fit(name, columns - 40)} ${bar} ${dim(total)}`;
      }
      return `${cyan(spin)} ${fit(name, columns - 20)} ${bytes(current)} ${dim(total)}`;
    }
    if (!running || !stage) return undefined;
    const of = stage.total !== undefined ? `/${stage.total}` : '';
    const head = `[${stagesSeen} ${stage.label}] step ${running.step}${of}`;
    const tail = ` ${seconds(opts.now() - running.since)} (total ${total})`;
    return `${cyan(spin)} ${head} ${fit(running.text, columns - head.length - tail.length - 4)}${dim(tail)}`;
  };

  const clear = () => {
    if (shown) opts.write('\r\x1b[2K');
    shown = false;
  };
  const redraw = () => {
    if (closed) return;
    const line = status();
    if (shown) opts.write('\r\x1b[2K');
    shown = false;
    if (line === undefined) return;
    opts.write(line);
    shown = true;
  };
  const above = (line: string) => {
    clear();
    opts.write(`${line}\n`);
    redraw();
  };

  const ticker =
    (opts.tickMs ?? 250) > 0
      ? setInterval(() => {
          frame++;
          if (shown) redraw();
        }, opts.tickMs ?? 250)
      : undefined;
  ticker?.unref();

  return {
    event(message, fields) {
      switch (fields.event) {
        case 'stage': {
          stagesSeen++;
          const name = str(fields.name);
          const total = num(fields.instructions);
          stage = {
            index: num(fields.stage) ?? 0,
            label: name ?? `stage ${stagesSeen}`,
            steps: 0,
            ...(total !== undefined ? { total } : {}),
          };
          above(`${cyan('▶')} ${message}`);
          return true;
        }
        case 'instruction-start': {
          if (!stage) stage = { index: num(fields.stage) ?? 0, label: 'stage 1', steps: 0 };
          stage.steps++;
          running = { text: str(fields.text) ?? message, since: opts.now(), step: stage.steps };
          redraw();
          return true;
        }
        case 'instruction-end': {
          const text = str(fields.text) ?? message;
          const ms = num(fields.durationMs) ?? 0;
          const size = num(fields.layerSize);
          const step = running?.step ?? stage?.steps ?? 0;
          running = undefined;
          const marks = [
            fields.cached === true ? yellow('CACHED') : seconds(ms),
            ...(size !== undefined ? [dim(`layer ${bytes(size)}`)] : []),
          ].join(' ');
          const of = stage?.total !== undefined ? `/${stage.total}` : '';
          above(`${green('✔')} [${stage?.label ?? ''} ${step}${of}] ${fit(text, columns - 40)} ${marks}`);
          return true;
        }
        case 'output':
          above(dim(`  │ ${message}`));
          return true;
        default:
          return false;
      }
    },
    task(name, current, total) {
      transfer = total !== undefined && current >= total ? undefined : { name, current, total };
      if (transfer === undefined) above(`${green('✔')} ${name} ${total !== undefined ? bytes(total) : ''}`);
      else redraw();
    },
    clear,
    redraw,
    close() {
      if (ticker) clearInterval(ticker);
      clear();
      closed = true;
    },
  };
}

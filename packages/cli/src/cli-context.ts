import { sectionEnd, sectionStart } from '@kaniko-ts/gitlab';
import type { IdentityProvider, Logger, StepContext, SummarySection } from '@kaniko-ts/steps';
import { CliError } from './cli-error.js';
import { createLiveProgress } from './live-progress.js';
import type { GlobalOptions } from './parse-argv.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Writable sinks (process.stdout/stderr in the binary, buffers in tests). */
export interface CliStreams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export interface CliContextOptions {
  streams: CliStreams;
  global: GlobalOptions;
  env: Env;
  workspace: string;
  tempDir: string;
  /** Emit GitLab collapsible sections for groups. */
  gitlab: boolean;
  clock?: { now(): Date };
  /** How to fetch OIDC tokens (default: GitHub's token service when its variables are set). */
  identity?: IdentityProvider;
}

const LEVELS = { panic: 0, fatal: 1, error: 2, warn: 3, info: 4, debug: 5, trace: 6 } as const;
const COLOR: Record<string, string> = { error: '31', warn: '33', info: '36', debug: '90' };

/** The token source on a plain CLI: GitHub's OIDC endpoint when a workflow granted it, else a clear error. */
export function envIdentity(env: Env): IdentityProvider {
  return {
    async getIdToken(audience) {
      const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
      const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      if (url && token) {
        const res = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, {
          headers: { authorization: `bearer ${token}`, accept: 'application/json' },
        });
        if (!res.ok)
          throw new CliError('OIDC_UNAVAILABLE', `requesting a GitHub OIDC token: HTTP ${res.status}`);
        const body = (await res.json()) as { value?: string };
        if (!body.value)
          throw new CliError('OIDC_UNAVAILABLE', 'requesting a GitHub OIDC token: empty response');
        return body.value;
      }
      throw new CliError(
        'OIDC_UNAVAILABLE',
        'getting an OIDC token for keyless signing: none found. Set SIGSTORE_ID_TOKEN (GitLab: id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore), pass --identity-token, grant id-token: write on GitHub, or sign with --key',
      );
    },
  };
}

/** CI systems whose logs are not terminals even when a pseudo-terminal is attached. */
export function inCi(env: Env): boolean {
  const set = (v: string | undefined) => v !== undefined && v !== '' && v !== 'false' && v !== '0';
  return set(env.CI) || set(env.GITHUB_ACTIONS) || set(env.GITLAB_CI);
}

/**
 * A StepContext for the terminal (color, live build progress redrawn in place), CI logs (plain
 * line-per-event output) or `--log-format json` (one JSON object per event, progress fields kept).
 */
export function createCliContext(options: CliContextOptions) {
  const { streams, global, env } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const threshold = LEVELS[global.verbosity];
  const format =
    global.logFormat === 'auto' ? (streams.stderr.isTTY && !inCi(env) ? 'color' : 'text') : global.logFormat;
  // redrawn progress only where a terminal shows it: color output to a TTY, not in CI
  const live =
    format === 'color' && streams.stderr.isTTY === true && !inCi(env) && threshold >= LEVELS.info
      ? createLiveProgress({
          write: (s) => streams.stderr.write(s),
          columns: streams.stderr.columns || Number(env.COLUMNS) || 80,
          now: () => clock.now().getTime(),
        })
      : undefined;
  const secrets: string[] = [];
  const summaries: SummarySection[] = [];
  let progressOpen = false;
  const lastProgress = new Map<string, number>();

  const redact = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  const endProgress = () => {
    if (progressOpen) streams.stderr.write('\n');
    progressOpen = false;
  };
  const emit = (level: keyof typeof LEVELS, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] > threshold) return;
    endProgress();
    const time = clock.now().toISOString();
    if (format === 'json') {
      streams.stderr.write(`${redact(JSON.stringify({ time, level, msg: message, ...fields }))}\n`);
      return;
    }
    const stamp = global.logTimestamp ? `${time} ` : '';
    const tag = level.toUpperCase().padEnd(5);
    const head = format === 'color' ? `\x1b[${COLOR[level] ?? '0'}m${tag}\x1b[0m` : tag;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    live?.clear();
    streams.stderr.write(`${redact(`${stamp}${head} ${message}${extra}`)}\n`);
    live?.redraw();
  };
  /** Build progress lines (fields with `event`): live on a terminal, the bare message in plain logs. */
  const progressLine = (message: string, fields: Record<string, unknown>) => {
    if (threshold < LEVELS.info) return;
    if (format === 'json') emit('info', message, fields);
    else if (!live?.event(redact(message), fields)) emit('info', message);
  };

  const log: Logger = {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => (typeof f?.event === 'string' ? progressLine(m, f) : emit('info', m, f)),
    warn: (m, at) => emit('warn', at ? `${at.file}:${at.line ?? 0}: ${m}` : m),
    error: (m, at) => emit('error', at ? `${at.file}:${at.line ?? 0}: ${m}` : m),
    progress(task, current, total) {
      if (threshold < LEVELS.info) return;
      if (format === 'json') {
        streams.stderr.write(
          `${JSON.stringify({ time: clock.now().toISOString(), level: 'info', progress: task, current, total })}\n`,
        );
        return;
      }
      if (live) {
        live.task(task, current, total);
        return;
      }
      if (format === 'color' && total !== undefined && total > 0) {
        const width = 30;
        const filled = Math.min(width, Math.round((current / total) * width));
        const pct = Math.floor((current / total) * 100);
        streams.stderr.write(`\r${task} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`);
        progressOpen = current < total;
        if (!progressOpen) streams.stderr.write('\n');
        return;
      }
      // Plain CI logs: one line per quarter, so logs stay short.
      const quarter = total ? Math.floor((current / total) * 4) : 0;
      if (total === undefined || (lastProgress.get(task) ?? -1) < quarter) {
        lastProgress.set(task, quarter);
        emit('info', total ? `${task}: ${current}/${total}` : `${task}: ${current}`);
      }
    },
  };

  const ctx: StepContext = {
    log,
    async group(name, fn) {
      const start = clock.now();
      if (options.gitlab && format !== 'json') streams.stderr.write(`${sectionStart(name, name, start)}\n`);
      else emit('info', `── ${name}`);
      try {
        return await fn();
      } finally {
        const end = clock.now();
        if (options.gitlab && format !== 'json') streams.stderr.write(`${sectionEnd(name, end)}\n`);
        emit('debug', `── ${name} took ${((end.getTime() - start.getTime()) / 1000).toFixed(2)} s`);
      }
    },
    maskSecret(value) {
      for (const line of value.split('\n')) if (line.trim().length >= 4) secrets.push(line);
    },
    workspace: options.workspace,
    tempDir: options.tempDir,
    identity: options.identity ?? envIdentity(env),
    clock,
    env,
    addSummary(section) {
      summaries.push(section);
    },
  };

  /** Prints the collected summaries (text) after the step. */
  const flushSummary = () => {
    if (format === 'json') return;
    for (const s of summaries) {
      emit('info', s.title);
      for (const [k, v] of s.rows) emit('info', `  ${k.padEnd(16)} ${v}`);
    }
  };
  /** Stops the live progress (its ticker) and leaves the cursor on a clean line. */
  const close = () => live?.close();
  return { ctx, format, flushSummary, summaries, redact, close };
}

/** Where a diagnostic points (a Dockerfile line, say). */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Structured logger the adapters implement (GitHub commands, terminal, plain CI lines, JSON). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  /** A warning; with `at` the GitHub adapter turns it into an annotation on that file and line. */
  warn(message: string, at?: SourceLocation): void;
  error(message: string, at?: SourceLocation): void;
  /** Progress of a long task (layer upload…): a bar on a terminal, sparse lines in CI. */
  progress(task: string, current: number, total?: number): void;
}

/** Supplies OIDC identity tokens (GitHub's token service, GitLab's `id_tokens`, a flag). */
export interface IdentityProvider {
  getIdToken(audience: string): Promise<string>;
}

/** A table the adapters render into the job summary (GitHub) or the log (GitLab, CLI). */
export interface SummarySection {
  readonly title: string;
  readonly rows: readonly (readonly [string, string])[];
}

/** Everything a step may use from its surroundings. Nothing else: no process.env, no @actions/*. */
export interface StepContext {
  readonly log: Logger;
  /** Runs `fn` inside a collapsible log section. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Makes the adapter redact `value` from every later log line. */
  maskSecret(value: string): void;
  /** Directory relative input paths are resolved against. */
  readonly workspace: string;
  /** Scratch directory owned by this run. */
  readonly tempDir: string;
  readonly identity: IdentityProvider;
  readonly clock: { now(): Date };
  /** The environment the adapter chose to pass (already a copy). */
  readonly env: Readonly<Record<string, string | undefined>>;
  addSummary(section: SummarySection): void;
  readonly signal?: AbortSignal;
}

import type { Writable } from 'node:stream';

/** Where RUN output goes: a stream (not ended by the executor) or a callback per chunk. */
export type OutputSink = Writable | ((chunk: Buffer) => void);

/**
 * A mount visible only to the RUN process (never part of the root or the layer). The engine
 * resolves sources (cache directory, secret file, context or stage directory); the executor only
 * mounts them.
 */
export type RunMount =
  | {
      type: 'bind' | 'cache' | 'secret';
      /** Host path of a file or directory. */
      source: string;
      /** Absolute path inside the root. */
      target: string;
      readonly?: boolean;
    }
  | {
      type: 'tmpfs';
      target: string;
      /** Bytes; default the kernel's (half of RAM). */
      size?: number;
    };

export interface RunUser {
  uid: number;
  gid: number;
  /** Supplementary groups (numeric). */
  groups?: number[];
}

export interface RunOptions {
  /** The directory that becomes `/` for the process (a snapshotter's runRoot). */
  root: string;
  argv: string[];
  /** The whole environment of the process: nothing else is inherited. */
  env: Record<string, string> | string[];
  /** Working directory inside the root; created (0755) when missing, as BuildKit does. */
  cwd: string;
  user: RunUser;
  mounts?: RunMount[];
  /** `none`: a network namespace with no interfaces. Default: the host's network. */
  network?: 'default' | 'none' | 'host';
  stdout?: OutputSink;
  stderr?: OutputSink;
  /** Kills the whole process tree when aborted. */
  signal?: AbortSignal;
}

/** Runs RUN commands. `run` resolves with the exit status (128+n when killed by signal n). */
export interface Executor {
  readonly kind: string;
  run(opts: RunOptions): Promise<number>;
}

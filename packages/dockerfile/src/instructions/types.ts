import type { Heredoc, SourceRange } from '../parser/node.js';

/** Shell form keeps the text for the shell; exec form is the JSON argv. Neither is expanded. */
export type CommandLine =
  | { form: 'shell'; text: string; heredocs: Heredoc[] }
  | { form: 'exec'; args: string[] };

export interface KeyValue {
  key: string;
  value: string;
}

export type SharingMode = 'shared' | 'private' | 'locked';

interface MountBase {
  target: string;
  readonly: boolean;
}
export interface BindMount extends MountBase {
  type: 'bind';
  source?: string;
  from?: string;
}
export interface CacheMount extends MountBase {
  type: 'cache';
  id?: string;
  source?: string;
  from?: string;
  sharing: SharingMode;
  mode?: number;
  uid?: number;
  gid?: number;
}
export interface TmpfsMount extends MountBase {
  type: 'tmpfs';
  /** Bytes (`size=64m`). */
  size?: number;
}
export interface SecretMount extends MountBase {
  type: 'secret';
  id: string;
  /** `env=NAME`: expose the secret as an environment variable instead of (or besides) a file. */
  env?: string;
  required: boolean;
  mode: number;
  uid: number;
  gid: number;
}
export interface SshMount extends MountBase {
  type: 'ssh';
  id: string;
  required: boolean;
  mode: number;
  uid: number;
  gid: number;
}
export type Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

/** `--chmod`: octal (`0755`) or symbolic (`u=rwX,go=rX`). */
export type Chmod = { kind: 'octal'; mode: number; text: string } | { kind: 'symbolic'; text: string };

interface Base {
  range: SourceRange;
  /** Logical source line (continuations joined). */
  original: string;
}

export interface FromInstruction extends Base {
  kind: 'FROM';
  image: string;
  /** Stage name from `AS name`, lower-cased as BuildKit does. */
  stageName?: string;
  platform?: string;
}
export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandLine;
  /** Parsed `--mount` values (expanded in the plan; unexpanded in a bare parse). */
  mounts: Mount[];
  /** The `--mount` values as written. */
  mountSpecs: string[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
}
export interface CmdInstruction extends Base {
  kind: 'CMD';
  command: CommandLine;
}
export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}
export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}
export interface LabelInstruction extends Base {
  kind: 'LABEL';
  labels: KeyValue[];
}
/** Deprecated; the plan turns it into the `maintainer` label. */
export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}
export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: string[];
}
export interface EnvInstruction extends Base {
  kind: 'ENV';
  env: KeyValue[];
}
export interface CopyInstruction extends Base {
  kind: 'COPY' | 'ADD';
  sources: string[];
  dest: string;
  heredocs: Heredoc[];
  from?: string;
  chown?: string;
  chmod?: Chmod;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD only. */
  checksum?: string;
  /** ADD only. */
  keepGitDir?: boolean;
  /** ADD only (`--unpack`). */
  unpack?: boolean;
}
export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  volumes: string[];
}
export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}
export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}
export interface ArgDefinition {
  key: string;
  /** `undefined` when declared without a default (`ARG NAME`). */
  value?: string;
}
export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}
export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger text as stored in the image config (`RUN echo hi`). */
  expression: string;
  trigger: Instruction;
}
export interface StopsignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}
export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** Docker's `Test`: `["NONE"]`, `["CMD", …argv]` or `["CMD-SHELL", text]`. */
  test: string[];
  /** Durations in nanoseconds, 0 when not set (inherit). */
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction;

export type InstructionKind = Instruction['kind'];

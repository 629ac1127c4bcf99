import { posix } from 'node:path';
import type { CommandLine, Instruction } from '@kaniko-ts/dockerfile';
import type { ContainerConfig, ImageConfig } from '@kaniko-ts/oci';

/** What a metadata instruction did: the new config and the history text BuildKit would record. */
export interface MetadataResult {
  config: ImageConfig;
  createdBy: string;
  /** True when the instruction also needs the file system (WORKDIR creates its directory). */
  needsDirectory?: string;
}

/** Per-stage facts that are not in the image config. */
export interface MetadataState {
  /** Whether CMD was set in this stage: a later ENTRYPOINT then keeps it. */
  cmdSet: boolean;
}

const defaultShell = ['/bin/sh', '-c'];

/** `CMD`/`ENTRYPOINT`/`RUN` argv: shell form goes through the image's SHELL. */
export function commandArgv(command: CommandLine, shell: string[] | undefined): string[] {
  if (command.form === 'exec') return [...command.args];
  return [...(shell && shell.length > 0 ? shell : defaultShell), command.text];
}

/** Docker's `KEY=value` list update: an existing key keeps its position. */
export function setEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** Expands `8080`, `53/UDP`, `7000-7001/tcp` into Docker's `port/proto` keys. */
export function exposedPorts(specs: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const [range = '', proto = 'tcp'] = spec.split('/');
    const [start, end] = range.split('-');
    const from = Number(start);
    const to = end === undefined ? from : Number(end);
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) {
      out.push(`${range}/${proto.toLowerCase()}`);
      continue;
    }
    for (let p = from; p <= to; p++) out.push(`${p}/${proto.toLowerCase()}`);
  }
  return out;
}

/** WORKDIR relative to the current one, cleaned like Go's `path.Join`. */
export function resolveWorkdir(current: string | undefined, path: string): string {
  return posix.resolve(current && current.length > 0 ? current : '/', path);
}

const quoted = (args: string[]) => `[${args.map((a) => JSON.stringify(a)).join(' ')}]`;

/**
 * Applies a metadata-only instruction to the image config, exactly as BuildKit's dispatchers do.
 * Returns `undefined` for instructions that are not metadata-only (RUN, COPY, ADD, FROM).
 */
export function applyMetadata(
  image: ImageConfig,
  instruction: Instruction,
  state: MetadataState,
): MetadataResult | undefined {
  const c: ContainerConfig = { ...(image.config ?? {}) };
  const done = (createdBy: string, extra: Partial<MetadataResult> = {}, top: Partial<ImageConfig> = {}) => ({
    config: { ...image, ...top, config: c },
    createdBy,
    ...extra,
  });
  switch (instruction.kind) {
    case 'ENV': {
      let env = c.Env ?? [];
      for (const { key, value } of instruction.env) env = setEnv(env, key, value);
      c.Env = env;
      return done(`ENV ${instruction.env.map((e) => `${e.key}=${e.value}`).join(' ')}`);
    }
    case 'LABEL': {
      c.Labels = { ...(c.Labels ?? {}) };
      for (const { key, value } of instruction.labels) c.Labels[key] = value;
      return done(`LABEL ${instruction.labels.map((l) => `${l.key}=${l.value}`).join(' ')}`);
    }
    case 'MAINTAINER':
      return done(`MAINTAINER ${instruction.maintainer}`, {}, { author: instruction.maintainer });
    case 'EXPOSE': {
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      const ports = exposedPorts(instruction.ports);
      for (const p of ports) c.ExposedPorts[p] = {};
      return done(`EXPOSE ${ports.join(' ')}`);
    }
    case 'USER':
      c.User = instruction.user;
      return done(`USER ${instruction.user}`);
    case 'WORKDIR': {
      const dir = resolveWorkdir(c.WorkingDir, instruction.path);
      c.WorkingDir = dir;
      return done(`WORKDIR ${dir}`, { needsDirectory: dir });
    }
    case 'CMD': {
      c.Cmd = commandArgv(instruction.command, c.Shell);
      if (instruction.command.form === 'shell') c.ArgsEscaped = true;
      state.cmdSet = true;
      return done(`CMD ${quoted(c.Cmd)}`);
    }
    case 'ENTRYPOINT': {
      c.Entrypoint = commandArgv(instruction.command, c.Shell);
      if (instruction.command.form === 'shell') c.ArgsEscaped = true;
      if (!state.cmdSet) c.Cmd = null;
      return done(`ENTRYPOINT ${quoted(c.Entrypoint)}`);
    }
    case 'SHELL':
      c.Shell = [...instruction.shell];
      return done(`SHELL ${quoted(instruction.shell)}`);
    case 'VOLUME': {
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of instruction.volumes) c.Volumes[v] = {};
      return done(`VOLUME ${quoted(instruction.volumes)}`);
    }
    case 'STOPSIGNAL':
      c.StopSignal = instruction.signal;
      return done(`STOPSIGNAL ${instruction.signal}`);
    case 'HEALTHCHECK': {
      if (instruction.test[0] === 'NONE') c.Healthcheck = { Test: ['NONE'] };
      else {
        const h: NonNullable<ContainerConfig['Healthcheck']> = { Test: [...instruction.test] };
        if (instruction.intervalNs) h.Interval = instruction.intervalNs;
        if (instruction.timeoutNs) h.Timeout = instruction.timeoutNs;
        if (instruction.startPeriodNs) h.StartPeriod = instruction.startPeriodNs;
        if (instruction.startIntervalNs) h.StartInterval = instruction.startIntervalNs;
        if (instruction.retries) h.Retries = instruction.retries;
        c.Healthcheck = h;
      }
      return done(`HEALTHCHECK ${quoted(instruction.test)}`);
    }
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), instruction.expression];
      return done(`ONBUILD ${instruction.expression}`);
    case 'ARG':
      return done(
        `ARG ${instruction.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`,
      );
    default:
      return undefined;
  }
}

import type { InputSpec, StepSpec } from '@kaniko-ts/steps';
import { CliError } from './cli-error.js';

/** Options every subcommand accepts (kaniko's logging flags). */
export interface GlobalOptions {
  help: boolean;
  verbosity: 'panic' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  logFormat: 'auto' | 'text' | 'color' | 'json';
  logTimestamp: boolean;
}

export const VERBOSITY = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const LOG_FORMATS = ['auto', 'text', 'color', 'json'] as const;

export interface ParsedArgv {
  global: GlobalOptions;
  /** Input name → every value given (repeatable flags keep all). */
  inputs: Record<string, string[]>;
}

/** CLI flag → input name, from each input's flag, own name, aliases and short letter. */
export function flagTable(spec: StepSpec): Map<string, { name: string; input: InputSpec }> {
  const table = new Map<string, { name: string; input: InputSpec }>();
  for (const [name, input] of Object.entries(spec.inputs)) {
    for (const f of [
      input.flag ?? name,
      name,
      ...(input.aliases ?? []),
      ...(input.short ? [input.short] : []),
    ]) {
      table.set(f, { name, input });
    }
  }
  return table;
}

/**
 * Parses `--flag value`, `--flag=value`, `-f value`, boolean `--flag` / `--flag=false` / `--no-flag`,
 * repeated list flags, and the global options, following kaniko's executor spelling.
 */
export function parseArgv(spec: StepSpec, args: readonly string[]): ParsedArgv {
  const table = flagTable(spec);
  const global: GlobalOptions = { help: false, verbosity: 'info', logFormat: 'auto', logTimestamp: false };
  const inputs: Record<string, string[]> = {};
  const usage = (msg: string) => new CliError('USAGE', `parsing ${spec.name} flags: ${msg}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      global.help = true;
      continue;
    }
    const m = /^(--?)([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (m === null) throw usage(`unexpected argument ${JSON.stringify(arg)} (every input is a --flag)`);
    const [, dashes, rawName = '', inline] = m;
    if (dashes === '-' && rawName.length !== 1) throw usage(`unknown flag ${arg}`);
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined) throw usage(`flag ${arg} needs a value`);
      i++;
      return next;
    };
    const enumValue = <T extends string>(allowed: readonly T[]): T => {
      const v = takeValue();
      if (!allowed.includes(v as T)) throw usage(`${arg} must be one of ${allowed.join(', ')}`);
      return v as T;
    };
    if (rawName === 'verbosity' || rawName === 'v') {
      global.verbosity = enumValue(VERBOSITY);
      continue;
    }
    if (rawName === 'log-format') {
      global.logFormat = enumValue(LOG_FORMATS);
      continue;
    }
    if (rawName === 'log-timestamp') {
      global.logTimestamp = inline === undefined ? true : inline === 'true';
      continue;
    }
    let entry = table.get(rawName);
    let negated = false;
    if (entry === undefined && rawName.startsWith('no-')) {
      const positive = table.get(rawName.slice(3));
      if (positive?.input.type === 'boolean') {
        entry = positive;
        negated = true;
      }
    }
    if (entry === undefined) throw usage(`unknown flag ${arg} (see kaniko-ts ${spec.name} --help)`);
    let value: string;
    if (entry.input.type === 'boolean') {
      if (negated && inline !== undefined) throw usage(`${arg} takes no value`);
      value = negated ? 'false' : (inline ?? 'true');
    } else {
      value = takeValue();
    }
    inputs[entry.name] = [...(inputs[entry.name] ?? []), value];
  }
  return { global, inputs };
}

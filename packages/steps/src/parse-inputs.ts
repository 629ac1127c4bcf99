import type { InputSpec, StepSpec } from './step-spec.js';
import { StepsError } from './steps-error.js';

/** Raw values as CI surfaces deliver them: strings ('' means unset), or repeated CLI flags. */
export type RawInputs = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ParsedInputs {
  readonly values: Record<string, unknown>;
  /** Values of `secret` inputs, for the adapter to mask before anything is logged. */
  readonly secrets: string[];
}

const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/** Splits a list value: newlines always, commas too unless the input keeps commas. */
export function splitList(raw: string, separator: InputSpec['separator']): string[] {
  return rawItems(raw, separator).filter((s) => s !== '');
}

/** A list value's items, trimmed, empty ones included. */
function rawItems(raw: string, separator: InputSpec['separator']): string[] {
  const lines = raw.split(/\r?\n/);
  const items = separator === 'newline' ? lines : lines.flatMap((l) => l.split(','));
  return items.map((s) => s.trim());
}

/** Throws when `raw` (leading and trailing blank lines aside) has an empty item. */
function checkNoEmptyItems(
  raw: string,
  separator: InputSpec['separator'],
  bad: (why: string) => Error,
): void {
  const empty = rawItems(raw.trim(), separator).indexOf('');
  if (raw.trim() !== '' && empty >= 0) {
    throw bad(`item ${empty + 1} of ${JSON.stringify(raw.trim())} is empty (a variable that is not set?)`);
  }
}

function isUnset(v: string | readonly string[] | undefined): v is undefined {
  if (v === undefined) return true;
  if (typeof v === 'string') return v.trim() === '';
  return v.length === 0;
}

/** Picks the value for `name` from its own key, then its aliases, then its env variable. */
function pick(
  name: string,
  spec: InputSpec,
  raw: RawInputs,
  env: Readonly<Record<string, string | undefined>>,
): string | readonly string[] | undefined {
  for (const key of [name, ...(spec.aliases ?? [])]) {
    const v = raw[key];
    if (!isUnset(v)) return v;
  }
  if (spec.env !== undefined && !isUnset(env[spec.env])) return env[spec.env];
  return undefined;
}

function defaultOf(spec: InputSpec): unknown {
  const d = spec.default;
  if (spec.type === 'list')
    return d === undefined ? [] : Array.isArray(d) ? [...d] : splitList(String(d), spec.separator);
  if (spec.type === 'boolean') return d === undefined ? false : d === true || d === 'true';
  if (spec.type === 'number' && d !== undefined) return Number(d);
  return d;
}

function parseOne(step: string, name: string, spec: InputSpec, v: string | readonly string[]): unknown {
  const all = typeof v === 'string' ? [v] : v;
  const last = (all[all.length - 1] ?? '').trim();
  const bad = (why: string) => new StepsError('INVALID_INPUT', `parsing input ${name} of ${step}: ${why}`);
  switch (spec.type) {
    case 'list':
      if (spec.noEmptyItems) for (const s of all) checkNoEmptyItems(s, spec.separator, bad);
      return all.flatMap((s) => splitList(s, spec.separator));
    case 'boolean':
      if (TRUE.has(last)) return true;
      if (FALSE.has(last)) return false;
      throw bad(`expected true or false, got ${JSON.stringify(last)}`);
    case 'number': {
      const n = Number(last);
      if (!Number.isFinite(n)) throw bad(`expected a number, got ${JSON.stringify(last)}`);
      return n;
    }
    case 'enum':
      if (!spec.options?.includes(last)) {
        throw bad(`expected one of ${spec.options?.join(', ')}, got ${JSON.stringify(last)}`);
      }
      return last;
    case 'secret':
      return typeof v === 'string' ? v : last;
    default:
      if (spec.regex !== undefined && !new RegExp(spec.regex).test(last)) {
        throw bad(`${JSON.stringify(last)} does not match ${spec.regex}`);
      }
      return last;
  }
}

/**
 * Turns raw string values into typed inputs following the spec: unknown names are rejected, missing
 * required inputs reported together, defaults applied, secrets collected for masking.
 */
export function parseInputs(
  spec: StepSpec,
  raw: RawInputs,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedInputs {
  const known = new Set<string>();
  for (const [name, input] of Object.entries(spec.inputs)) {
    known.add(name);
    for (const a of input.aliases ?? []) known.add(a);
  }
  const unknown = Object.keys(raw).filter((k) => !known.has(k) && !isUnset(raw[k]));
  if (unknown.length > 0) {
    throw new StepsError(
      'INVALID_INPUT',
      `parsing inputs of ${spec.name}: unknown input ${unknown.join(', ')}`,
    );
  }
  const values: Record<string, unknown> = {};
  const secrets: string[] = [];
  const missing: string[] = [];
  for (const [name, input] of Object.entries(spec.inputs)) {
    const v = pick(name, input, raw, env);
    if (v === undefined) {
      if (input.required === true) missing.push(name);
      values[name] = defaultOf(input);
      continue;
    }
    const parsed = parseOne(spec.name, name, input, v);
    if (input.type === 'secret' && typeof parsed === 'string') secrets.push(parsed);
    values[name] = parsed;
  }
  if (missing.length > 0) {
    throw new StepsError(
      'MISSING_INPUT',
      `parsing inputs of ${spec.name}: missing required input ${missing.join(', ')}`,
    );
  }
  return { values, secrets };
}

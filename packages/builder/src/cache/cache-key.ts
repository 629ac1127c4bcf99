import { createHash } from 'node:crypto';
import type { PlannedInstruction } from '@kaniko-ts/dockerfile';

/** Bumped whenever what goes into a key (or how a cached layer is made) changes meaning. */
export const CACHE_KEY_SCHEMA = 'kaniko-ts-cache/1';

/** One named input of a cache key, kept so a key can be explained (`describeKey`). */
export interface KeyPart {
  name: string;
  value: string;
}

/** A cache key (64 lower-case hex digits) with the inputs it was computed from. */
export interface CacheKey {
  key: string;
  parts: readonly KeyPart[];
}

/** What a stage starts from: an image by digest, nothing, or another stage's final key. */
export type KeySeedBase =
  | { kind: 'image'; digest: string }
  | { kind: 'scratch' }
  | { kind: 'stage'; key: string };

/** Options that change the bytes of every layer made, so they belong to every chain. */
export interface LayerFormat {
  compression: string;
  /** `--compression-level`, absent for the algorithm's default (keys made without a level stay valid). */
  level?: number;
  /** `--reproducible` epoch (file times in layers), absent when times are kept. */
  epoch?: number;
}

/**
 * sha256 over the parts, each framed by its length so no two different part lists hash the same
 * (kaniko's `-`-joined keys could collide).
 */
export function computeKey(parts: readonly KeyPart[]): CacheKey {
  const h = createHash('sha256');
  for (const p of parts) {
    const name = Buffer.from(p.name, 'utf8');
    const value = Buffer.from(p.value, 'utf8');
    h.update(`${name.length}:`);
    h.update(name);
    h.update(`${value.length}:`);
    h.update(value);
  }
  return { key: h.digest('hex'), parts: parts.map((p) => ({ ...p })) };
}

/** The first link of a stage's chain. */
export function seedKey(base: KeySeedBase, platform: string, format: LayerFormat): CacheKey {
  const baseText =
    base.kind === 'image' ? `image ${base.digest}` : base.kind === 'stage' ? `stage ${base.key}` : 'scratch';
  return computeKey([
    { name: 'schema', value: CACHE_KEY_SCHEMA },
    { name: 'base', value: baseText },
    { name: 'platform', value: platform },
    {
      name: 'layer-format',
      value: `${format.compression}${format.level === undefined ? '' : ` level=${format.level}`} epoch=${format.epoch ?? 'none'}`,
    },
  ]);
}

/** Everything one instruction's key is made of, besides the instruction itself. */
export interface InstructionKeyInput {
  /** The previous key of the chain (the stage seed for the first instruction). */
  parent: string;
  instruction: PlannedInstruction;
  platform: string;
  /** Build args and ENV the instruction can see: `KEY=value` (or `KEY` when declared without value). */
  scope: readonly string[];
  /**
   * What the instruction reads besides its own text, each as `label → digest or key`: context
   * sources (`src <pattern>`), `--from` stages/images (`from <name>`), bind-mount sources
   * (`mount <target>`). Secrets never appear here: only their ids, through the instruction.
   */
  inputs: ReadonlyArray<readonly [string, string]>;
}

/** Key of one instruction, chained to its parent. */
export function instructionKey(input: InstructionKeyInput): CacheKey {
  const { instruction: ins } = input;
  const parts: KeyPart[] = [
    { name: 'schema', value: CACHE_KEY_SCHEMA },
    { name: 'parent', value: input.parent },
    { name: 'platform', value: input.platform },
    { name: 'instruction', value: `${ins.kind} ${instructionText(ins)}` },
    { name: 'scope', value: [...input.scope].sort().join('\n') },
  ];
  if (ins.kind === 'RUN') parts.push({ name: 'run-env', value: runEnvironmentForKey(ins.environment) });
  for (const [label, digest] of [...input.inputs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push({ name: `input ${label}`, value: digest });
  }
  return computeKey(parts);
}

/** Lines for `--verbosity=debug`: what went into the key. */
export function describeKey(key: CacheKey): string {
  const lines = [`cache key ${key.key}`];
  for (const p of key.parts) {
    const value = p.value.includes('\n') ? `\n    ${p.value.split('\n').join('\n    ')}` : ` ${p.value}`;
    lines.push(`  ${p.name}:${p.value === '' ? ' (none)' : value}`);
  }
  return lines.join('\n');
}

/**
 * Proxy build args BuildKit passes to RUN without declaration and keeps out of the cache key (a
 * different proxy must not rebuild anything).
 */
const PROXY_ARGS: ReadonlySet<string> = new Set(
  ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [n, n.toLowerCase()]),
);

function runEnvironmentForKey(environment: ReadonlyArray<readonly [string, string]>): string {
  return environment
    .filter(([k]) => !PROXY_ARGS.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('\n');
}

/** Fields that do not change what an instruction does: where it is written, the raw text. */
const POSITIONAL: ReadonlySet<string> = new Set(['range', 'original', 'origin', 'mountSpecs', 'environment']);

/**
 * The instruction after expansion, as canonical JSON: every planned field (sources, destination,
 * flags, mounts with secret *ids*, heredoc bodies, the working directory), object keys sorted,
 * without line numbers or the raw text, so moving or re-indenting an instruction keeps its key.
 */
export function instructionText(ins: PlannedInstruction): string {
  return canonicalJson(ins, true);
}

function canonicalJson(value: unknown, top: boolean): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, false)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([k, v]) => v !== undefined && !(POSITIONAL.has(k) && (top || k === 'range' || k === 'original')))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, false)}`).join(',')}}`;
}

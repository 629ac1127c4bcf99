import { InstructionError, parseBytes } from './flags.js';
import type { Mount, SharingMode } from './types.js';

/** Go's encoding/csv for one record (quotes, `""` escapes, bare quotes rejected). */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new InstructionError(`extraneous or missing " in quoted-field`, text);
        const ch = text[i] as string;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += ch;
        i++;
      }
      if (i < text.length && text[i] !== ',')
        throw new InstructionError(`extraneous or missing " in quoted-field`, text);
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') throw new InstructionError(`bare " in non-quoted-field`, text);
        field += text[i];
        i++;
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // comma
  }
}

/** Go's strconv.ParseBool. */
function parseBool(value: string, key: string, field: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InstructionError(`invalid value for ${key}: ${value}`, field);
}

function parseUint(value: string, radix: 8 | 10, key: string, field: string): number {
  const ok = radix === 8 ? /^[0-7]+$/.test(value) : /^\d+$/.test(value);
  const n = Number.parseInt(value, radix);
  if (!ok || n > 0xffffffff) throw new InstructionError(`invalid value ${value} for ${key}`, field);
  return n;
}

/**
 * What BuildKit checks when it parses the instruction (values are only validated once expanded, at
 * plan time): the CSV, and that `from=` uses no variables.
 */
export function checkMountSpec(spec: string): void {
  for (const field of parseCsvRecord(spec)) {
    const eq = field.indexOf('=');
    if (eq > 0 && field.slice(0, eq).toLowerCase() === 'from' && /\$./.test(field.slice(eq + 1))) {
      throw new InstructionError(
        "'from' doesn't support variable expansion, define alias stage instead",
        field,
      );
    }
  }
}

const TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
type MountType = (typeof TYPES)[number];

/**
 * One `RUN --mount=` value, as BuildKit's parseMount: CSV `key=value` fields, every value expanded
 * with `expand` (the stage environment), defaults filled in per type.
 */
export function parseMount(spec: string, expand: (word: string) => string, sshIndex = 0): Mount {
  let type: MountType = 'bind';
  let readonly: boolean | undefined;
  let target = '';
  let source: string | undefined;
  let from: string | undefined;
  let id: string | undefined;
  let sharing: string | undefined;
  let mode: number | undefined;
  let uid: number | undefined;
  let gid: number | undefined;
  let required = false;
  let size: number | undefined;
  let env: string | undefined;
  for (const field of parseCsvRecord(spec)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') readonly = true;
      else if (key === 'readwrite' || key === 'rw') readonly = false;
      else if (key === 'required' && (type === 'secret' || type === 'ssh')) required = true;
      else if (key === 'required')
        throw new InstructionError(`unexpected key '${key}' for mount type '${type}'`, field);
      else throw new InstructionError(`invalid field '${field}' must be a key=value pair`, field);
      continue;
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!(TYPES as readonly string[]).includes(t))
          throw new InstructionError(`unsupported mount type ${JSON.stringify(value)}`, field);
        type = t as MountType;
        break;
      }
      case 'from':
        from = value;
        break;
      case 'source':
      case 'src':
        source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = value;
        break;
      case 'readonly':
      case 'ro':
        readonly = parseBool(value, key, field);
        break;
      case 'rw':
      case 'readwrite':
        readonly = !parseBool(value, key, field);
        break;
      case 'required':
        if (type !== 'secret' && type !== 'ssh')
          throw new InstructionError(`unexpected key '${key}' for mount type '${type}'`, field);
        required = parseBool(value, key, field);
        break;
      case 'size':
        if (type !== 'tmpfs')
          throw new InstructionError(`unexpected key '${key}' for mount type '${type}'`, field);
        size = parseBytes(value);
        break;
      case 'id':
        id = value;
        break;
      case 'sharing':
        if (type !== 'cache')
          throw new InstructionError(`invalid cache sharing set for ${type} mount`, field);
        if (!['shared', 'private', 'locked'].includes(value.toLowerCase())) {
          throw new InstructionError(`unsupported sharing value ${JSON.stringify(value)}`, field);
        }
        sharing = value.toLowerCase();
        break;
      case 'mode':
        mode = parseUint(value, 8, key, field);
        break;
      case 'uid':
        uid = parseUint(value, 10, key, field);
        break;
      case 'gid':
        gid = parseUint(value, 10, key, field);
        break;
      case 'env':
        if (type !== 'secret')
          throw new InstructionError(`unexpected key '${key}' for mount type '${type}'`, field);
        env = value;
        break;
      default:
        throw new InstructionError(`unexpected key '${key}' in '${field}'`, field);
    }
  }
  const fileInfo = type === 'secret' || type === 'ssh' || type === 'cache';
  if (!fileInfo && (mode !== undefined || uid !== undefined || gid !== undefined)) {
    const what = mode !== undefined ? 'mode' : uid !== undefined ? 'uid' : 'gid';
    throw new InstructionError(`${what} not allowed for ${JSON.stringify(type)} type mounts`, spec);
  }
  const ro = readonly ?? !(type === 'cache' || type === 'tmpfs');
  switch (type) {
    case 'secret': {
      if (from !== undefined) throw new InstructionError('secret mount should not have a from', spec);
      if (!source && !target && !id)
        throw new InstructionError('invalid secret mount. one of source, target required', spec);
      if (source && id) throw new InstructionError("both source and id can't be set", spec);
      const secretId = id || source || basename(target);
      const secretTarget = target || (env !== undefined ? '' : `/run/secrets/${basename(secretId)}`);
      return {
        type,
        id: secretId,
        target: secretTarget,
        ...(env !== undefined ? { env } : {}),
        required,
        readonly: ro,
        mode: mode ?? 0o400,
        uid: uid ?? 0,
        gid: gid ?? 0,
      };
    }
    case 'ssh':
      if (from !== undefined) throw new InstructionError('ssh mount should not have a from', spec);
      return {
        type,
        id: id || 'default',
        target: target || `/run/buildkit/ssh_agent.${sshIndex}`,
        required,
        readonly: ro,
        mode: mode ?? 0o600,
        uid: uid ?? 0,
        gid: gid ?? 0,
      };
    case 'cache':
      if (!target) throw new InstructionError('mount type cache requires a target', spec);
      return {
        type,
        target,
        readonly: ro,
        id: id || target,
        ...opt({ source, from, mode, uid, gid }),
        sharing: (sharing ?? 'shared') as SharingMode,
      };
    case 'tmpfs':
      if (!target) throw new InstructionError('mount type tmpfs requires a target', spec);
      return { type, target, readonly: ro, ...(size !== undefined ? { size } : {}) };
    default:
      if (!target) throw new InstructionError('mount type bind requires a target', spec);
      return { type: 'bind', target, readonly: ro, ...opt({ source, from }) };
  }
}

function basename(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  return parts[parts.length - 1] ?? '';
}

function opt<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

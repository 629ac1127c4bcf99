import { parseHeredocWord } from '../parser/heredoc.js';
import type { InstructionNode, SourceRange } from '../parser/node.js';
import { LexError } from '../shell/pattern.js';
import { Flags, InstructionError, parseChmod, parseGoDuration } from './flags.js';
import type { CopyInstruction, HealthcheckInstruction } from './types.js';

type Base = { range: SourceRange; original: string };

/** COPY and ADD with all their flags. */
export function parseCopy(node: InstructionNode, base: Base): CopyInstruction {
  const isAdd = node.keyword === 'add';
  const name = isAdd ? 'ADD' : 'COPY';
  const flags = new Flags(
    node.flags,
    isAdd
      ? {
          chown: 'string',
          chmod: 'string',
          link: 'bool',
          'keep-git-dir': 'bool',
          checksum: 'string',
          exclude: 'strings',
          unpack: 'bool',
        }
      : {
          from: 'string',
          chown: 'string',
          chmod: 'string',
          link: 'bool',
          parents: 'bool',
          exclude: 'strings',
        },
  );
  if (node.args.length < 2) {
    throw new InstructionError(
      `${name} requires at least two arguments, but only one was provided. Destination could not be determined`,
    );
  }
  const dest = node.args[node.args.length - 1] as string;
  let destHeredoc: ReturnType<typeof parseHeredocWord>;
  try {
    destHeredoc = parseHeredocWord(dest);
  } catch (e) {
    // a heredoc-looking destination that does not lex (`<<-EOF"`): an error at the instruction, as BuildKit
    if (e instanceof LexError) throw new InstructionError(`${name} destination: ${e.message}`, dest);
    throw e;
  }
  if (destHeredoc) throw new InstructionError(`${name} cannot accept a heredoc as a destination`, dest);
  const out: CopyInstruction = {
    kind: isAdd ? 'ADD' : 'COPY',
    ...base,
    sources: node.args.slice(0, -1),
    dest: node.args[node.args.length - 1] as string,
    heredocs: node.heredocs,
    link: flags.bool('link'),
    parents: flags.bool('parents'),
    exclude: flags.list('exclude'),
  };
  const from = flags.string('from');
  if (from !== undefined) out.from = from;
  const chown = flags.string('chown');
  if (chown !== undefined) out.chown = chown;
  const chmod = flags.string('chmod');
  if (chmod !== undefined)
    out.chmod = chmod.includes('$') ? { kind: 'symbolic', text: chmod } : parseChmod(chmod);
  if (isAdd) {
    const checksum = flags.string('checksum');
    if (checksum !== undefined) out.checksum = checksum;
    out.keepGitDir = flags.bool('keep-git-dir');
    out.unpack = flags.bool('unpack');
  }
  return out;
}

const MIN_DURATION_NS = 1e6;

function duration(flags: Flags, name: string): number {
  const v = flags.string(name);
  if (v === undefined || v === '') return 0;
  const d = parseGoDuration(v);
  if (d === 0) return 0;
  if (d < MIN_DURATION_NS) throw new InstructionError(`Interval "${name}" cannot be less than 1ms`, v);
  return d;
}

/** HEALTHCHECK NONE | [--interval --timeout --start-period --start-interval --retries] CMD … */
export function parseHealthcheck(node: InstructionNode, base: Base): HealthcheckInstruction {
  if (node.args.length === 0) throw new InstructionError('HEALTHCHECK requires at least one argument');
  const type = (node.args[0] as string).toUpperCase();
  const empty = { intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 };
  if (type === 'NONE') {
    if (node.args.length !== 1) throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    new Flags(node.flags, {});
    return { kind: 'HEALTHCHECK', ...base, test: ['NONE'], ...empty };
  }
  if (type !== 'CMD')
    throw new InstructionError(
      `Unknown type ${JSON.stringify(node.args[0])} in HEALTHCHECK (try CMD)`,
      node.args[0],
    );
  const flags = new Flags(node.flags, {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  });
  const cmd = node.args.slice(1);
  if (cmd.length === 0) throw new InstructionError('Missing command after HEALTHCHECK CMD');
  const test = node.json ? ['CMD', ...cmd] : ['CMD-SHELL', cmd.join(' ')];
  let retries = 0;
  const r = flags.string('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?\d+$/.test(r)) throw new InstructionError(`invalid retries value: ${r}`, r);
    retries = Number.parseInt(r, 10);
    if (retries < 0) throw new InstructionError(`--retries cannot be negative (${retries})`, r);
  }
  return {
    kind: 'HEALTHCHECK',
    ...base,
    test,
    intervalNs: duration(flags, 'interval'),
    timeoutNs: duration(flags, 'timeout'),
    startPeriodNs: duration(flags, 'start-period'),
    startIntervalNs: duration(flags, 'start-interval'),
    retries,
  };
}

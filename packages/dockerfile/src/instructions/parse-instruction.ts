import { DockerfileError } from '../dockerfile-error.js';
import type { InstructionNode } from '../parser/node.js';
import { Flags, InstructionError } from './flags.js';
import { checkMountSpec, parseMount } from './mounts.js';
import { parseCopy, parseHealthcheck } from './parse-copy-health.js';
import type { ArgDefinition, CommandLine, Instruction, KeyValue, Mount } from './types.js';

export interface InstructionParseOptions {
  file?: string;
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Where in the node the offending text is, for the error column. */
export function locate(node: InstructionNode, text: string | undefined): { line: number; column: number } {
  const idx = text ? node.original.indexOf(text) : -1;
  const single = node.range.start.line === node.range.end.line;
  return { line: node.range.start.line, column: node.range.start.column + (idx > 0 && single ? idx : 0) };
}

function noFlags(node: InstructionNode): void {
  new Flags(node.flags, {});
}

function command(node: InstructionNode): CommandLine {
  if (node.json) return { form: 'exec', args: [...node.args] };
  return { form: 'shell', text: node.args.join(' '), heredocs: node.heredocs };
}

function pairs(node: InstructionNode, name: string): KeyValue[] {
  if (node.args.length === 0) throw new InstructionError(`${name} requires at least one argument`);
  const out: KeyValue[] = [];
  for (let i = 0; i + 1 < node.args.length; i += 3)
    out.push({ key: node.args[i] as string, value: node.args[i + 1] as string });
  return out;
}

function one(node: InstructionNode, name: string): string {
  if (node.args.length !== 1 || node.args[0] === '')
    throw new InstructionError(`${name} requires exactly one argument`);
  return node.args[0] as string;
}

function build(node: InstructionNode): Instruction {
  const base = { range: node.range, original: node.original };
  switch (node.keyword) {
    case 'from': {
      const flags = new Flags(node.flags, { platform: 'string' });
      const a = node.args;
      if (!(a.length === 1 || (a.length === 3 && (a[1] as string).toLowerCase() === 'as'))) {
        throw new InstructionError('FROM requires either one or three arguments');
      }
      const platform = flags.string('platform');
      const out: Instruction = { kind: 'FROM', ...base, image: a[0] as string };
      if (a.length === 3) {
        const name = (a[2] as string).toLowerCase();
        if (!STAGE_NAME.test(name)) {
          throw new InstructionError(
            `invalid name for build stage: ${JSON.stringify(a[2])}, name can't start with a number or contain symbols`,
            a[2],
          );
        }
        out.stageName = name;
      }
      if (platform !== undefined) out.platform = platform;
      return out;
    }
    case 'run': {
      const flags = new Flags(node.flags, { mount: 'strings', network: 'string', security: 'string' });
      if (node.args.length === 0 && !node.json)
        throw new InstructionError('RUN requires at least one argument');
      const network = flags.string('network');
      if (network !== undefined && !['default', 'none', 'host'].includes(network)) {
        throw new InstructionError(`unsupported network mode: ${network}`, network);
      }
      const security = flags.string('security');
      if (security !== undefined && !['sandbox', 'insecure'].includes(security)) {
        throw new InstructionError(`unsupported security mode: ${security}`, security);
      }
      const mountSpecs = flags.list('mount');
      for (const spec of mountSpecs) checkMountSpec(spec);
      // Values are validated once expanded (plan time); here the mounts are read as written when they can be.
      let mounts: Mount[] = [];
      try {
        let ssh = 0;
        mounts = mountSpecs.map((s) => parseMount(s, (w) => w, /type=ssh/i.test(s) ? ssh++ : 0));
      } catch (e) {
        if (!(e instanceof InstructionError)) throw e;
        mounts = [];
      }
      return {
        kind: 'RUN',
        ...base,
        command: command(node),
        mounts,
        mountSpecs,
        ...(network ? { network: network as 'default' } : {}),
        ...(security ? { security: security as 'sandbox' } : {}),
      };
    }
    case 'cmd':
    case 'entrypoint':
      noFlags(node);
      return { kind: node.keyword === 'cmd' ? 'CMD' : 'ENTRYPOINT', ...base, command: command(node) };
    case 'shell':
      noFlags(node);
      if (!node.json) throw new InstructionError('SHELL requires the arguments to be in JSON form');
      if (node.args.length === 0) throw new InstructionError('SHELL requires at least one argument');
      return { kind: 'SHELL', ...base, shell: [...node.args] };
    case 'label':
      noFlags(node);
      return { kind: 'LABEL', ...base, labels: pairs(node, 'LABEL') };
    case 'env':
      noFlags(node);
      return { kind: 'ENV', ...base, env: pairs(node, 'ENV') };
    case 'maintainer':
      noFlags(node);
      return { kind: 'MAINTAINER', ...base, maintainer: one(node, 'MAINTAINER') };
    case 'expose':
      noFlags(node);
      if (node.args.length === 0) throw new InstructionError('EXPOSE requires at least one argument');
      // BuildKit sorts the port words (as strings) before expanding them.
      return { kind: 'EXPOSE', ...base, ports: [...node.args].sort() };
    case 'volume': {
      noFlags(node);
      if (node.args.length === 0) throw new InstructionError('VOLUME requires at least one argument');
      const volumes = node.args.map((v) => v.trim());
      if (volumes.some((v) => v === ''))
        throw new InstructionError('VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...base, volumes };
    }
    case 'user':
      noFlags(node);
      return { kind: 'USER', ...base, user: one(node, 'USER') };
    case 'workdir':
      noFlags(node);
      return { kind: 'WORKDIR', ...base, path: one(node, 'WORKDIR') };
    case 'stopsignal':
      noFlags(node);
      return { kind: 'STOPSIGNAL', ...base, signal: one(node, 'STOPSIGNAL') };
    case 'arg': {
      noFlags(node);
      if (node.args.length === 0) throw new InstructionError('ARG requires at least one argument');
      const args: ArgDefinition[] = node.args.map((w) => {
        const eq = w.indexOf('=');
        const def: ArgDefinition = { key: eq < 0 ? w : w.slice(0, eq) };
        if (eq >= 0) def.value = w.slice(eq + 1);
        if (def.key === '') throw new InstructionError('ARG names can not be blank', w);
        return def;
      });
      return { kind: 'ARG', ...base, args };
    }
    case 'onbuild': {
      noFlags(node);
      const child = node.child;
      if (!child) throw new InstructionError('ONBUILD requires at least one argument');
      const k = child.keyword.toUpperCase();
      if (k === 'ONBUILD') throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (k === 'MAINTAINER' || k === 'FROM')
        throw new InstructionError(`${k} isn't allowed as an ONBUILD trigger`);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += `\n${h.content}${h.name}`;
      return { kind: 'ONBUILD', ...base, expression, trigger: build(child) };
    }
    case 'copy':
    case 'add':
      return parseCopy(node, base);
    case 'healthcheck':
      return parseHealthcheck(node, base);
    default:
      throw new InstructionError(`unknown instruction: ${node.rawKeyword.toUpperCase()}`, node.rawKeyword);
  }
}

/** Syntax node → typed instruction (BuildKit's instructions.ParseInstruction). Throws DockerfileError. */
export function parseInstruction(node: InstructionNode, options: InstructionParseOptions = {}): Instruction {
  try {
    return build(node);
  } catch (e) {
    if (!(e instanceof InstructionError)) throw e;
    const where = locate(node, e.text);
    throw new DockerfileError(
      'INSTRUCTION',
      `parsing ${node.keyword.toUpperCase()}: ${e.message}`,
      { file: options.file ?? 'Dockerfile', ...where, text: e.text ?? node.original.trim() },
      { cause: e },
    );
  }
}

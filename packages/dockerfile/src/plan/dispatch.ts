import { DockerfileError } from '../dockerfile-error.js';
import { InstructionError, parseChmod } from '../instructions/flags.js';
import { parseMount } from '../instructions/mounts.js';
import type { Instruction, Mount } from '../instructions/types.js';
import { warning } from '../lint/rules.js';
import type { LintWarning } from '../lint/types.js';
import { runLexer } from '../shell/expand.js';
import { PROXY_ARGS } from './platform-args.js';
import type { PlannedInstruction, StageDependency } from './types.js';

/** Shared, read-mostly state of one planning run (created per call; no module state). */
export interface PlanContext {
  file: string;
  escapeToken: string;
  buildArgs: Readonly<Record<string, string>>;
  /** Platform args + meta ARGs with their values (undefined = declared without value). */
  metaArgs: Map<string, string | undefined>;
  usedArgs: Set<string>;
  warnings: LintWarning[];
  resolveStage: (ref: string) => number | undefined | 'bad-index';
}

export interface StageState {
  /** Expansion/process environment: ENV and ARG values (BuildKit's LLB state env). */
  env: Map<string, string>;
  /** Image config ENV. */
  imageEnv: Map<string, string>;
  workdir: string;
  /** Whether every variable of the base is known (for UndefinedVar). */
  envKnown: boolean;
}

type Loc = { range: { start: { line: number; column: number } }; original: string };

export function expandIn(
  ctx: PlanContext,
  st: StageState,
  ins: Loc,
  word: string,
  onUnmatched = true,
): string {
  const r = runLexer(word, st.env, {
    escapeToken: ctx.escapeToken,
    location: {
      file: ctx.file,
      line: ins.range.start.line,
      column: ins.range.start.column,
      text: ins.original.trim(),
    },
  });
  if (onUnmatched && st.envKnown) {
    for (const name of r.unmatched) {
      ctx.warnings.push(
        warning(
          'UndefinedVar',
          `Usage of undefined variable '$${name}'`,
          ins.range.start.line,
          ins.range.start.column,
        ),
      );
    }
  }
  return r.result;
}

function fail(ctx: PlanContext, ins: Loc, e: InstructionError): never {
  throw new DockerfileError(
    'INSTRUCTION',
    `planning: ${e.message}`,
    {
      file: ctx.file,
      line: ins.range.start.line,
      column: ins.range.start.column,
      text: e.text ?? ins.original.trim(),
    },
    { cause: e },
  );
}

function stageDep(ctx: PlanContext, ins: Loc, kind: StageDependency['kind'], ref: string): StageDependency {
  const found = ctx.resolveStage(ref);
  if (found === 'bad-index') fail(ctx, ins, new InstructionError(`invalid stage index ${ref}`, ref));
  return found === undefined
    ? { kind, image: ref, line: ins.range.start.line }
    : { kind, stage: found, line: ins.range.start.line };
}

const resolvePath = (dir: string, p: string) => {
  if (p.startsWith('/')) return normalize(p);
  return normalize(`${dir}/${p}`);
};
function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** Expands one instruction in the stage state and applies its effect (BuildKit's dispatch). */
export function dispatch(
  ctx: PlanContext,
  st: StageState,
  ins: Instruction,
  origin: PlannedInstruction['origin'],
  deps: StageDependency[],
): PlannedInstruction {
  const x = (w: string) => expandIn(ctx, st, ins, w);
  switch (ins.kind) {
    case 'ARG': {
      const args = ins.args.map((a) => {
        const hasValue = Object.hasOwn(ctx.buildArgs, a.key);
        let value: string | undefined;
        if (hasValue) value = ctx.buildArgs[a.key];
        else if (a.value !== undefined) value = x(a.value);
        else if (ctx.metaArgs.has(a.key)) value = ctx.metaArgs.get(a.key);
        if (value !== undefined) st.env.set(a.key, value);
        ctx.usedArgs.add(a.key);
        return value === undefined ? { key: a.key } : { key: a.key, value };
      });
      return { ...ins, args, origin };
    }
    case 'ENV': {
      const env = ins.env.map((p) => ({ key: x(p.key), value: x(p.value) }));
      for (const p of env) {
        st.env.set(p.key, p.value);
        st.imageEnv.set(p.key, p.value);
      }
      return { ...ins, env, origin };
    }
    case 'LABEL':
      return { ...ins, labels: ins.labels.map((p) => ({ key: x(p.key), value: x(p.value) })), origin };
    case 'MAINTAINER':
      return {
        kind: 'LABEL',
        range: ins.range,
        original: ins.original,
        labels: [{ key: 'maintainer', value: ins.maintainer }],
        origin,
      };
    case 'WORKDIR': {
      st.workdir = resolvePath(st.workdir, x(ins.path));
      return { ...ins, path: st.workdir, origin };
    }
    case 'USER':
      return { ...ins, user: x(ins.user), origin };
    case 'STOPSIGNAL':
      return { ...ins, signal: x(ins.signal), origin };
    case 'VOLUME': {
      const volumes = ins.volumes.map(x);
      if (volumes.some((v) => v.trim() === ''))
        fail(ctx, ins, new InstructionError('VOLUME specified can not be an empty string'));
      return { ...ins, volumes, origin };
    }
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const p of ins.ports) {
        const words = runLexer(p, st.env, {
          escapeToken: ctx.escapeToken,
          location: { file: ctx.file, line: ins.range.start.line, column: ins.range.start.column, text: p },
        }).words;
        for (const w of words) {
          if (!/^(\d+)(-\d+)?(\/(tcp|udp|sctp))?$/i.test(w))
            fail(ctx, ins, new InstructionError(`invalid containerPort: ${w}`, w));
          ports.push(w);
        }
      }
      return { ...ins, ports, origin };
    }
    case 'COPY':
    case 'ADD': {
      const out = {
        ...ins,
        sources: ins.sources.map(x),
        dest: x(ins.dest),
        exclude: ins.exclude.map(x),
        origin,
      };
      if (ins.from !== undefined) {
        out.from = x(ins.from);
        deps.push(stageDep(ctx, ins, 'copy-from', out.from));
      }
      if (ins.chown !== undefined) out.chown = x(ins.chown);
      if (ins.checksum !== undefined) out.checksum = x(ins.checksum);
      if (ins.chmod !== undefined) {
        const text = x(ins.chmod.text);
        try {
          out.chmod = parseChmod(text);
        } catch (e) {
          if (e instanceof InstructionError) fail(ctx, ins, e);
          throw e;
        }
      }
      return out;
    }
    case 'RUN': {
      let mounts: Mount[];
      let ssh = 0;
      try {
        mounts = ins.mountSpecs.map((s) => {
          const m = parseMount(s, x, 0);
          if (m.type === 'ssh' && !/target=|dst=|destination=/i.test(s))
            m.target = `/run/buildkit/ssh_agent.${ssh}`;
          if (m.type === 'ssh') ssh++;
          return m;
        });
      } catch (e) {
        if (e instanceof InstructionError) fail(ctx, ins, e);
        throw e;
      }
      for (const m of mounts) {
        if ((m.type === 'bind' || m.type === 'cache') && m.from !== undefined && m.from !== '') {
          deps.push(stageDep(ctx, ins, 'mount-from', m.from));
        }
        if (!m.target.startsWith('/') && m.target !== '') m.target = resolvePath(st.workdir, m.target);
      }
      const environment: Array<[string, string]> = [...st.env];
      for (const k of PROXY_ARGS) {
        const v = ctx.buildArgs[k];
        if (v !== undefined && !st.env.has(k)) environment.push([k, v]);
      }
      return { ...ins, mounts, origin, environment } as PlannedInstruction;
    }
    default:
      return { ...ins, origin };
  }
}

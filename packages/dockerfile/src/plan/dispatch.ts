import { DockerfileError } from '../dockerfile-error.js';
import { InstructionError, parseChmod } from '../instructions/flags.js';
import { parseMount } from '../instructions/mounts.js';
import type { Instruction, Mount } from '../instructions/types.js';
import { warning } from '../lint/rules.js';
import type { LintWarning } from '../lint/types.js';
import { chompHeredocContent } from '../parser/heredoc.js';
import { runLexer } from '../shell/expand.js';
import type { PlannedInstruction, StageDependency } from './types.js';

/** Shared state of one planning run (created per call; no module state). */
export interface PlanContext {
  file: string;
  escapeToken: string;
  buildArgs: Readonly<Record<string, string>>;
  /** BuildKit's globalArgs: platform args and meta ARGs that have a value. */
  globalArgs: Map<string, string>;
  usedArgs: Set<string>;
  warnings: LintWarning[];
  resolveStage: (ref: string) => number | undefined | 'bad-index';
  stageLabel: (index: number) => string;
}

export interface StageState {
  index: number;
  /** Expansion/process environment: ENV and ARG values (BuildKit's LLB state env). */
  env: Map<string, string>;
  /** Image config ENV. */
  imageEnv: Map<string, string>;
  workdir: string;
  /** Whether a WORKDIR was set in this Dockerfile (for WorkdirRelativePath). */
  workdirSet: boolean;
  /** ARG keys declared so far (never reported as undefined). */
  declared: Set<string>;
  /** Image config SHELL set (JSONArgsRecommended is quiet then). */
  shellSet: boolean;
  /** Lines of the last CMD / ENTRYPOINT / HEALTHCHECK (MultipleInstructionsDisallowed). */
  seen: Map<string, { line: number; column: number }>;
  /** Whether every variable of the base is known (UndefinedVar only reports then). */
  envKnown: boolean;
  /** ONBUILD expressions recorded in this stage (the image config's OnBuild). */
  onbuild: string[];
  /** Image config USER. */
  user: string;
}

type Loc = { range: { start: { line: number; column: number } }; original: string };

function at(ctx: PlanContext, ins: Loc, text?: string) {
  return {
    file: ctx.file,
    line: ins.range.start.line,
    column: ins.range.start.column,
    text: text ?? ins.original.trim(),
  };
}

/** ProcessWord in the stage environment, reporting unmatched names as UndefinedVar. */
export function expandIn(ctx: PlanContext, st: StageState, ins: Loc, word: string): string {
  const r = runLexer(word, st.env, { escapeToken: ctx.escapeToken, location: () => at(ctx, ins) });
  if (st.envKnown) {
    for (const name of r.unmatched) {
      if (st.declared.has(name)) continue;
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
    `planning ${ins.original.trim().split(/\s/)[0]?.toUpperCase()}: ${e.message}`,
    at(ctx, ins, e.text),
    { cause: e },
  );
}

function stageDep(
  ctx: PlanContext,
  st: StageState,
  ins: Loc,
  kind: StageDependency['kind'],
  raw: string,
  expanded: string,
): StageDependency {
  const found = ctx.resolveStage(raw);
  if (found === 'bad-index') fail(ctx, ins, new InstructionError(`invalid stage index ${raw}`, raw));
  if (found === undefined) return { kind, image: expanded, line: ins.range.start.line };
  if (found >= st.index) {
    fail(
      ctx,
      ins,
      new InstructionError(
        `cannot copy from stage ${JSON.stringify(raw)}, it needs to be defined before current stage ${JSON.stringify(ctx.stageLabel(st.index))}`,
        raw,
      ),
    );
  }
  return { kind, stage: found, line: ins.range.start.line };
}

export function resolvePath(dir: string, p: string): string {
  const out: string[] = [];
  for (const part of (p.startsWith('/') ? p : `${dir}/${p}`).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const isGit = (s: string) => s.includes('git') && /^git@|^git:\/\/|\.git(#|$)/.test(s);
const PROXIES = new Set(['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy']);

function usedOnce(ctx: PlanContext, st: StageState, ins: Instruction): void {
  const prev = st.seen.get(ins.kind);
  if (prev) {
    ctx.warnings.push(
      warning(
        'MultipleInstructionsDisallowed',
        `Multiple ${ins.kind} instructions should not be used in the same stage because only the last one will be used`,
        prev.line,
        prev.column,
      ),
    );
  }
  st.seen.set(ins.kind, ins.range.start);
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
  const workdir = st.workdir;
  const planned = (p: Instruction): PlannedInstruction => ({ ...p, origin, workdir }) as PlannedInstruction;
  switch (ins.kind) {
    case 'ARG': {
      const args = ins.args.map((a) => {
        let value: string | undefined;
        if (Object.hasOwn(ctx.buildArgs, a.key)) value = ctx.buildArgs[a.key];
        else if (a.value !== undefined) value = x(a.value);
        else value = ctx.globalArgs.get(a.key);
        if (value !== undefined) st.env.set(a.key, value);
        st.declared.add(a.key);
        ctx.usedArgs.add(a.key);
        return value === undefined ? { key: a.key } : { key: a.key, value };
      });
      return planned({ ...ins, args });
    }
    case 'ENV': {
      const env = ins.env.map((p) => ({ key: x(p.key), value: x(p.value) }));
      for (const p of env) {
        st.env.set(p.key, p.value);
        st.imageEnv.set(p.key, p.value);
      }
      return planned({ ...ins, env });
    }
    case 'LABEL':
      return planned({ ...ins, labels: ins.labels.map((p) => ({ key: x(p.key), value: x(p.value) })) });
    case 'MAINTAINER':
      // BuildKit's dispatchMaintainer sets the image author, not a label.
      return planned({ ...ins, maintainer: x(ins.maintainer) });
    case 'WORKDIR': {
      const path = x(ins.path);
      if (!st.workdirSet && !path.startsWith('/')) {
        ctx.warnings.push(
          warning(
            'WorkdirRelativePath',
            `Relative workdir "${path}" can have unexpected results if the base image changes`,
            ins.range.start.line,
            ins.range.start.column,
          ),
        );
      }
      st.workdirSet = true;
      st.workdir = resolvePath(st.workdir, path);
      return { ...planned({ ...ins, path: st.workdir }), workdir: st.workdir };
    }
    case 'USER':
      st.user = x(ins.user);
      return planned({ ...ins, user: st.user });
    case 'STOPSIGNAL': {
      const signal = x(ins.signal);
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(signal) || (/^\d+$/.test(signal) && Number(signal) === 0)) {
        fail(ctx, ins, new InstructionError(`invalid signal: ${signal}`, signal));
      }
      return planned({ ...ins, signal });
    }
    case 'VOLUME': {
      const volumes = ins.volumes.map(x);
      if (volumes.some((v) => v === ''))
        fail(ctx, ins, new InstructionError('VOLUME specified can not be an empty string'));
      return planned({ ...ins, volumes });
    }
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const p of ins.ports) {
        for (const w of runLexer(p, st.env, { escapeToken: ctx.escapeToken, location: at(ctx, ins, p) })
          .words) {
          if (!/^(\d+)(-\d+)?(\/(tcp|udp|sctp))?$/i.test(w))
            fail(ctx, ins, new InstructionError(`invalid containerPort: ${w}`, w));
          ports.push(w);
        }
      }
      return planned({ ...ins, ports });
    }
    case 'SHELL':
      st.shellSet = true;
      return planned(ins);
    case 'CMD':
    case 'ENTRYPOINT':
      usedOnce(ctx, st, ins);
      if (ins.command.form === 'shell' && !st.shellSet) {
        ctx.warnings.push(
          warning(
            'JSONArgsRecommended',
            `JSON arguments recommended for ${ins.kind} to prevent unintended behavior related to OS signals`,
            ins.range.start.line,
            ins.range.start.column,
          ),
        );
      }
      return planned(ins);
    case 'HEALTHCHECK':
      usedOnce(ctx, st, ins);
      return planned(ins);
    case 'ONBUILD':
      st.onbuild.push(ins.expression);
      return planned(ins);
    case 'COPY':
    case 'ADD':
      return planned(copy(ctx, st, ins, x, deps));
    case 'RUN': {
      let mounts: Mount[];
      let ssh = 0;
      try {
        mounts = ins.mountSpecs.map((s) => {
          const m = parseMount(s, x, 0);
          if (m.type === 'ssh' && !/(^|,)(target|dst|destination)=/i.test(s))
            m.target = `/run/buildkit/ssh_agent.${ssh}`;
          if (m.type === 'ssh') ssh++;
          return m;
        });
      } catch (e) {
        if (e instanceof InstructionError) fail(ctx, ins, e);
        throw e;
      }
      for (const m of mounts) {
        if ((m.type === 'bind' || m.type === 'cache') && m.from !== undefined && m.from !== '')
          deps.push(stageDep(ctx, st, ins, 'mount-from', m.from, m.from));
        if (m.target !== '' && !m.target.startsWith('/')) m.target = resolvePath(st.workdir, m.target);
      }
      const environment: Array<[string, string]> = [...st.env];
      // Proxy build args reach RUN without ARG, in both spellings (BuildKit's ProxyEnv).
      for (const [k, v] of Object.entries(ctx.buildArgs)) {
        if (!PROXIES.has(k.toLowerCase())) continue;
        for (const name of [k.toUpperCase(), k.toLowerCase()])
          if (!st.env.has(name)) environment.push([name, v]);
      }
      // BuildKit's exec points SSH_AUTH_SOCK at the first ssh mount unless the environment sets it.
      const ssh0 = mounts.find((m) => m.type === 'ssh');
      if (ssh0 && !st.env.has('SSH_AUTH_SOCK')) environment.push(['SSH_AUTH_SOCK', ssh0.target]);
      return { ...planned({ ...ins, mounts }), environment } as PlannedInstruction;
    }
    default:
      return planned(ins);
  }
}

function copy(
  ctx: PlanContext,
  st: StageState,
  ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>,
  x: (w: string) => string,
  deps: StageDependency[],
) {
  const out = {
    ...ins,
    sources: ins.sources.map((s) => (s.startsWith('<<') ? s : x(s))),
    dest: x(ins.dest),
    exclude: ins.exclude.map(x),
    // As BuildKit's SourceContents: `<<-` strips leading tabs; an unquoted delimiter expands the body
    // with a backslash-escape lexer that leaves quote characters alone (ExpandRaw, SkipProcessQuotes).
    heredocs: ins.heredocs.map((h) => {
      const content = h.chomp ? chompHeredocContent(h.content) : h.content;
      if (!h.expand) return { ...h, content };
      const r = runLexer(content, st.env, {
        escapeToken: '\\',
        skipProcessQuotes: true,
        location: () => at(ctx, ins),
      });
      return { ...h, content: r.result };
    }),
  };
  if (ins.from !== undefined) {
    out.from = x(ins.from);
    deps.push(stageDep(ctx, st, ins, 'copy-from', ins.from, out.from));
  }
  if (ins.chown !== undefined) out.chown = x(ins.chown);
  if (ins.checksum !== undefined) out.checksum = x(ins.checksum);
  try {
    if (ins.chmod !== undefined) out.chmod = parseChmod(x(ins.chmod.text));
    const remote = out.sources.filter((s) => isUrl(s) || isGit(s));
    if (ins.kind === 'COPY' && remote.length > 0) {
      throw new InstructionError(
        `source can't be a ${isGit(remote[0] as string) ? 'git ref' : 'URL'} for COPY`,
        remote[0],
      );
    }
    if (out.checksum !== undefined) {
      if (out.sources.length !== 1)
        throw new InstructionError("checksum can't be specified for multiple sources");
      if (!isUrl(out.sources[0] as string) && !isGit(out.sources[0] as string))
        throw new InstructionError("checksum can't be specified for non-HTTP(S) sources");
      if (
        !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(out.checksum) &&
        !isGit(out.sources[0] as string)
      ) {
        throw new InstructionError(`invalid checksum digest format: ${out.checksum}`, out.checksum);
      }
    }
  } catch (e) {
    if (e instanceof InstructionError) fail(ctx, ins, e);
    throw e;
  }
  return out;
}

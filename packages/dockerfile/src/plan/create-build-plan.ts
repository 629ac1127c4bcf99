import { DockerfileError } from '../dockerfile-error.js';
import { parseInstruction } from '../instructions/parse-instruction.js';
import type { Instruction } from '../instructions/types.js';
import { lintDockerfileAst } from '../lint/lint.js';
import { warning } from '../lint/rules.js';
import type { DockerfileAst } from '../parser/node.js';
import { parseDockerfile } from '../parser/parse.js';
import { runLexer } from '../shell/expand.js';
import { invalidDefaultArgsInFrom } from './default-args-check.js';
import { dispatch, type PlanContext, resolvePath, type StageState } from './dispatch.js';
import { parseOnbuildTriggers } from './onbuild.js';
import { DEFAULT_PATH, platformArgs } from './platform-args.js';
import { preDependencies } from './pre-deps.js';
import { findStage, orderStages, type RawStage, splitStages } from './stages.js';
import type { BuildPlan, MetaArg, PlannedStage, PlanOptions, StageBase, StageDependency } from './types.js';

/**
 * The whole frontend: parse, type, expand and plan a Dockerfile as BuildKit does for the given build
 * args, target and platforms. Pure; throws DockerfileError with a location.
 */
export function createBuildPlan(source: string | Uint8Array, options: PlanOptions = {}): BuildPlan {
  const { plan, ast, typed } = planWithFindings(source, options);
  const file = options.file ?? 'Dockerfile';
  if (options.lint === false) {
    plan.warnings = plan.warnings.filter(
      (w) => w.rule === 'UnusedBuildArg' || w.rule === 'NoEmptyContinuation',
    );
  } else plan.warnings = lintDockerfileAst(ast, typed, plan, { file, ...options.lint });
  return plan;
}

/**
 * The plan with the raw findings of planning in `warnings` (before the lint pass adds its checks and
 * applies skips), plus the syntax tree and typed instructions; used by lintDockerfile.
 */
export function planWithFindings(
  source: string | Uint8Array,
  options: PlanOptions = {},
): { plan: BuildPlan; ast: DockerfileAst; typed: Instruction[] } {
  const file = options.file ?? 'Dockerfile';
  const buildArgs = options.buildArgs ?? {};
  const ast = parseDockerfile(source, { file });
  const typed = ast.instructions.map((n) => parseInstruction(n, { file }));
  const { meta, stages } = splitStages(typed, file);
  const escapeToken = ast.escapeToken;

  let target = stages.length - 1;
  if (options.target !== undefined) {
    const t = stages.find((s) => s.name === options.target?.toLowerCase());
    if (!t)
      throw new DockerfileError(
        'STAGE',
        `planning: target stage ${JSON.stringify(options.target)} could not be found`,
        { file, line: 1, column: 1, text: options.target },
      );
    target = t.index;
  }
  const targetPlatform = options.targetPlatform ?? 'linux/amd64';
  const pArgs = platformArgs(targetPlatform, options.buildPlatform ?? targetPlatform);
  pArgs.push(['TARGETSTAGE', stages[target]?.name ?? '']);
  // BuildKit's globalArgs: the automatic args (a build arg of the same name overrides), then meta ARGs.
  const globalArgs = new Map(
    pArgs.map(([k, v]) => [k, Object.hasOwn(buildArgs, k) ? (buildArgs[k] as string) : v]),
  );
  const usedArgs = new Set<string>();
  const warnings = ast.warnings.map((w) => warning(w.rule, w.message, w.line, 1));
  const metaOut: MetaArg[] = [];
  const declaredMeta = new Set<string>();
  for (const ins of meta) {
    for (const a of ins.args) {
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, a.key)) value = buildArgs[a.key];
      else if (a.value !== undefined) {
        value = runLexer(a.value, globalArgs, {
          escapeToken,
          location: { file, line: ins.range.start.line, column: ins.range.start.column, text: ins.original },
        }).result;
      }
      if (value !== undefined) globalArgs.set(a.key, value);
      declaredMeta.add(a.key);
      usedArgs.add(a.key);
      metaOut.push({ key: a.key, ...(value !== undefined ? { value } : {}), line: ins.range.start.line });
    }
  }

  warnings.push(...invalidDefaultArgsInFrom(meta, stages, pArgs, escapeToken));
  const planned = stages.map((s) =>
    planStage(s, stages, globalArgs, declaredMeta, escapeToken, file, warnings, options),
  );
  const resolveStage = (ref: string) => findStage(stages, ref);
  const stageLabel = (i: number) => stages[i]?.name ?? `stage-${i}`;
  const describe = (i: number) => ({
    name: stageLabel(i),
    line: stages[i]?.from.range.start.line ?? 1,
    column: 1,
  });
  const pre = preDependencies(stages, planned, resolveStage);
  const order = orderStages(pre, target, describe, file);

  const ctx: PlanContext = {
    file,
    escapeToken,
    buildArgs,
    globalArgs,
    usedArgs,
    warnings,
    resolveStage,
    stageLabel,
  };
  const finals = new Map<number, StageState>();
  for (const i of [...order].sort((a, b) => a - b)) {
    const stage = planned[i] as PlannedStage;
    stage.reachable = true;
    const st = initialState(stage, finals, options);
    const deps: StageDependency[] =
      stage.base.kind === 'stage'
        ? [{ kind: 'from', stage: stage.base.index, line: stage.from.range.start.line }]
        : [];
    if (stage.base.kind === 'stage') stage.baseOnbuild = [...(finals.get(stage.base.index)?.onbuild ?? [])];
    st.onbuild = [];
    const triggers = parseOnbuildTriggers(stage.baseOnbuild, {
      file: `${file} (ONBUILD of ${stage.baseText})`,
    });
    const out = triggers.map((t) =>
      dispatch(ctx, st, { ...t, range: stage.from.range } as typeof t, 'onbuild', deps),
    );
    for (const ins of stages[i]?.commands ?? []) out.push(dispatch(ctx, st, ins, 'dockerfile', deps));
    stage.instructions = out;
    stage.dependencies = deps;
    stage.env = [...st.imageEnv];
    stage.user = st.user;
    stage.workdir = st.workdir;
    finals.set(i, st);
  }
  for (const s of planned) {
    if (!s.reachable)
      s.dependencies = (pre[s.index] ?? []).map((d) => ({ kind: 'copy-from', stage: d, line: 0 }));
  }
  const finalOrder = orderStages(
    planned.map((s) =>
      s.dependencies.flatMap((d) => (s.reachable && d.stage !== undefined ? [d.stage] : [])),
    ),
    target,
    describe,
    file,
  );

  for (const k of Object.keys(buildArgs)) {
    const lower = k.toLowerCase();
    const builtin =
      ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy'].includes(lower) ||
      k.startsWith('BUILDKIT_') ||
      globalArgs.has(k);
    if (!usedArgs.has(k) && !builtin) {
      warnings.push(
        warning('UnusedBuildArg', `build argument ${JSON.stringify(k)} was provided but not used`, 0, 0),
      );
    }
  }
  const plan: BuildPlan = {
    order: finalOrder,
    stages: planned,
    target,
    metaArgs: metaOut,
    directives: ast.directives,
    escapeToken,
    warnings,
    platformArgs: Object.fromEntries(pArgs.map(([k]) => [k, globalArgs.get(k) ?? ''])),
  };
  return { plan, ast, typed };
}

function planStage(
  s: RawStage,
  stages: RawStage[],
  globalArgs: Map<string, string>,
  declaredMeta: Set<string>,
  escapeToken: string,
  file: string,
  warnings: ReturnType<typeof warning>[],
  options: PlanOptions,
): PlannedStage {
  const loc = {
    file,
    line: s.from.range.start.line,
    column: s.from.range.start.column,
    text: s.from.original,
  };
  const expand = (w: string) => {
    const r = runLexer(w, globalArgs, { escapeToken, location: loc });
    for (const name of r.unmatched) {
      if (!declaredMeta.has(name))
        warnings.push(
          warning('UndefinedArgInFrom', `FROM argument '${name}' is not declared`, loc.line, loc.column),
        );
    }
    return r.result;
  };
  const image = expand(s.from.image);
  if (image === '')
    throw new DockerfileError('STAGE', `planning: base name (${s.from.image}) should not be blank`, loc);
  let base: StageBase;
  const byName = stages.find((o) => o.index < s.index && o.name === image);
  if (byName) base = { kind: 'stage', index: byName.index, ...(byName.name ? { name: byName.name } : {}) };
  else if (image === 'scratch') base = { kind: 'scratch' };
  else base = { kind: 'image', ref: image };
  let platform: string | undefined;
  if (s.from.platform !== undefined) {
    platform = expand(s.from.platform);
    if (platform === '')
      throw new DockerfileError(
        'STAGE',
        `planning: empty platform value from expression ${s.from.platform}`,
        loc,
      );
    if (!/^[A-Za-z0-9_-]+(\([^)]*\))?(\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)?)?$/.test(platform)) {
      throw new DockerfileError('STAGE', `planning: failed to parse platform ${platform}`, {
        ...loc,
        text: platform,
      });
    }
  }
  const config = base.kind === 'image' ? options.baseImages?.[base.ref] : undefined;
  return {
    index: s.index,
    ...(s.name !== undefined ? { name: s.name } : {}),
    base,
    baseText: image,
    from: { ...s.from, image, ...(platform !== undefined ? { platform } : {}) },
    ...(platform !== undefined ? { platform } : {}),
    baseConfigKnown: base.kind !== 'image' || config !== undefined,
    baseOnbuild: [...(config?.onBuild ?? [])],
    instructions: s.commands.map(
      (c) => ({ ...c, origin: 'dockerfile' as const, workdir: '' }) as PlannedStage['instructions'][number],
    ),
    dependencies: [],
    env: [],
    user: '',
    workdir: '/',
    reachable: false,
  };
}

function initialState(
  stage: PlannedStage,
  finals: Map<number, StageState>,
  options: PlanOptions,
): StageState {
  const fresh = { index: stage.index, seen: new Map(), onbuild: [] as string[] };
  if (stage.base.kind === 'stage') {
    const p = finals.get(stage.base.index) as StageState;
    return {
      ...fresh,
      env: new Map(p.env),
      imageEnv: new Map(p.imageEnv),
      workdir: p.workdir,
      workdirSet: p.workdirSet,
      declared: new Set(p.declared),
      shellSet: p.shellSet,
      envKnown: p.envKnown,
      user: p.user,
    };
  }
  const config = stage.base.kind === 'image' ? options.baseImages?.[stage.base.ref] : undefined;
  const known = stage.base.kind === 'scratch' || config !== undefined;
  const env = new Map<string, string>();
  for (const e of config?.env ?? []) {
    const i = e.indexOf('=');
    env.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  if (known && !env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  const workdir = config?.workingDir ? resolvePath('/', config.workingDir) : '/';
  return {
    ...fresh,
    env,
    imageEnv: new Map(env),
    workdir,
    workdirSet: false,
    declared: new Set(),
    shellSet: (config?.shell?.length ?? 0) > 0,
    envKnown: known,
    user: config?.user ?? '',
  };
}

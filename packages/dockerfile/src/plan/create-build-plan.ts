import { DockerfileError } from '../dockerfile-error.js';
import { parseInstruction } from '../instructions/parse-instruction.js';
import { lintDockerfileAst } from '../lint/lint.js';
import { warning } from '../lint/rules.js';
import { parseDockerfile } from '../parser/parse.js';
import { runLexer } from '../shell/expand.js';
import { dispatch, type PlanContext, type StageState } from './dispatch.js';
import { parseOnbuildTriggers } from './onbuild.js';
import { DEFAULT_PATH, PROXY_ARGS, platformArgs } from './platform-args.js';
import { preDependencies } from './pre-deps.js';
import { findStage, orderStages, splitStages } from './stages.js';
import type { BuildPlan, MetaArg, PlannedStage, PlanOptions, StageBase } from './types.js';

type Final = StageState & { onbuild: string[] };

/**
 * The whole frontend: parse, type, expand and plan a Dockerfile exactly as BuildKit would for the
 * given build args, target and platforms. Pure; throws DockerfileError with a location.
 */
export function createBuildPlan(source: string | Uint8Array, options: PlanOptions = {}): BuildPlan {
  const file = options.file ?? 'Dockerfile';
  const buildArgs = options.buildArgs ?? {};
  const ast = parseDockerfile(source, { file });
  const typed = ast.instructions.map((n) => parseInstruction(n, { file }));
  const { meta, stages } = splitStages(typed, file);
  const targetPlatform = options.targetPlatform ?? 'linux/amd64';
  const pArgs = platformArgs(targetPlatform, options.buildPlatform ?? targetPlatform);
  const metaArgs = new Map<string, string | undefined>(pArgs);
  const usedArgs = new Set<string>();
  const warnings = ast.warnings.map((w) => warning(w.rule, w.message, w.line, 1));
  const defined = () => new Map([...metaArgs].filter((e): e is [string, string] => e[1] !== undefined));
  const metaOut: MetaArg[] = [];
  for (const ins of meta) {
    for (const a of ins.args) {
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, a.key)) value = buildArgs[a.key];
      else if (a.value !== undefined) {
        value = runLexer(a.value, defined(), {
          escapeToken: ast.escapeToken,
          location: { file, line: ins.range.start.line, column: ins.range.start.column, text: ins.original },
        }).result;
      }
      metaArgs.set(a.key, value);
      usedArgs.add(a.key);
      metaOut.push(
        value === undefined
          ? { key: a.key, line: ins.range.start.line }
          : { key: a.key, value, line: ins.range.start.line },
      );
    }
  }

  const metaEnv = defined();
  const planned: PlannedStage[] = stages.map((s) => {
    const loc = {
      file,
      line: s.from.range.start.line,
      column: s.from.range.start.column,
      text: s.from.original,
    };
    const r = runLexer(s.from.image, metaEnv, { escapeToken: ast.escapeToken, location: loc });
    for (const name of r.unmatched) {
      warnings.push(
        warning('UndefinedArgInFrom', `FROM argument '${name}' is not declared`, loc.line, loc.column),
      );
    }
    if (r.result === '')
      throw new DockerfileError('STAGE', `planning: base name (${s.from.image}) should not be blank`, loc);
    let base: StageBase;
    const byName = stages.find((o) => o.index < s.index && o.name === r.result.toLowerCase());
    if (byName) base = { kind: 'stage', index: byName.index, ...(byName.name ? { name: byName.name } : {}) };
    else if (r.result.toLowerCase() === 'scratch') base = { kind: 'scratch' };
    else base = { kind: 'image', ref: r.result };
    const platform =
      s.from.platform !== undefined
        ? runLexer(s.from.platform, metaEnv, { escapeToken: ast.escapeToken, location: loc }).result
        : undefined;
    const config = base.kind === 'image' ? options.baseImages?.[base.ref] : undefined;
    const from = { ...s.from, image: r.result, ...(platform !== undefined ? { platform } : {}) };
    return {
      index: s.index,
      ...(s.name !== undefined ? { name: s.name } : {}),
      base,
      baseText: r.result,
      ...(platform !== undefined ? { platform } : {}),
      from,
      baseConfigKnown: base.kind !== 'image' || config !== undefined,
      baseOnbuild: config?.onBuild ?? [],
      instructions: s.commands.map((c) => ({ ...c, origin: 'dockerfile' as const })),
      dependencies: [],
      env: [],
      reachable: false,
    };
  });

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
  const resolveStage = (ref: string) => findStage(stages, ref);
  const pre = preDependencies(stages, planned, metaEnv, buildArgs, ast.escapeToken, resolveStage);
  const order = orderStages(
    pre,
    target,
    (i) => ({ name: stages[i]?.name ?? String(i), line: stages[i]?.from.range.start.line ?? 1, column: 1 }),
    file,
  );

  const ctx: PlanContext = {
    file,
    escapeToken: ast.escapeToken,
    buildArgs,
    metaArgs,
    usedArgs,
    warnings,
    resolveStage,
  };
  const finals = new Map<number, Final>();
  for (const i of [...order].sort((a, b) => a - b)) {
    const stage = planned[i] as PlannedStage;
    stage.reachable = true;
    const st = initialState(stage, finals, options);
    const triggers =
      stage.base.kind === 'stage' ? (finals.get(stage.base.index)?.onbuild ?? []) : stage.baseOnbuild;
    if (stage.base.kind === 'stage') stage.baseOnbuild = triggers;
    const deps =
      stage.base.kind === 'stage'
        ? [{ kind: 'from' as const, stage: stage.base.index, line: stage.from.range.start.line }]
        : [];
    const out = parseOnbuildTriggers(triggers, { file: `${file} (ONBUILD of ${stage.baseText})` }).map((t) =>
      dispatch(ctx, st, t, 'onbuild', deps),
    );
    const onbuild: string[] = [];
    for (const ins of stages[i]?.commands ?? []) {
      out.push(dispatch(ctx, st, ins, 'dockerfile', deps));
      if (ins.kind === 'ONBUILD') onbuild.push(ins.expression);
    }
    stage.instructions = out;
    stage.dependencies = deps;
    stage.env = [...st.imageEnv];
    finals.set(i, { ...st, onbuild });
  }
  for (const s of planned)
    if (!s.reachable)
      s.dependencies = (pre[s.index] ?? []).map((d) => ({ kind: 'copy-from' as const, stage: d, line: 0 }));
  const reachableOrder = orderStages(
    planned.map((s) => s.dependencies.flatMap((d) => (d.stage !== undefined ? [d.stage] : []))),
    target,
    (i) => ({ name: stages[i]?.name ?? String(i), line: stages[i]?.from.range.start.line ?? 1, column: 1 }),
    file,
  );

  for (const k of Object.keys(buildArgs)) {
    if (!usedArgs.has(k) && !(PROXY_ARGS as readonly string[]).includes(k) && !k.startsWith('BUILDKIT_')) {
      warnings.push(
        warning('UnusedBuildArg', `build argument ${JSON.stringify(k)} was provided but not used`, 0, 0),
      );
    }
  }
  const plan: BuildPlan = {
    order: reachableOrder,
    stages: planned,
    target,
    metaArgs: metaOut,
    directives: ast.directives,
    escapeToken: ast.escapeToken,
    warnings,
    platformArgs: Object.fromEntries(pArgs),
  };
  if (options.lint !== false)
    plan.warnings = lintDockerfileAst(ast, typed, plan, { file, ...(options.lint ?? {}) });
  else
    plan.warnings = plan.warnings.filter(
      (w) => w.rule === 'UnusedBuildArg' || w.rule === 'NoEmptyContinuation',
    );
  return plan;
}

function initialState(stage: PlannedStage, finals: Map<number, Final>, options: PlanOptions): StageState {
  if (stage.base.kind === 'stage') {
    const parent = finals.get(stage.base.index) as Final;
    return {
      env: new Map(parent.env),
      imageEnv: new Map(parent.imageEnv),
      workdir: parent.workdir,
      envKnown: parent.envKnown,
    };
  }
  if (stage.base.kind === 'scratch') {
    return {
      env: new Map([['PATH', DEFAULT_PATH]]),
      imageEnv: new Map([['PATH', DEFAULT_PATH]]),
      workdir: '/',
      envKnown: true,
    };
  }
  const config = options.baseImages?.[stage.base.ref];
  const env = new Map<string, string>();
  for (const e of config?.env ?? []) {
    const i = e.indexOf('=');
    env.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  return { env, imageEnv: new Map(env), workdir: config?.workingDir || '/', envKnown: config !== undefined };
}

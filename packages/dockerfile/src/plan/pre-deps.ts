import { parseCsvRecord } from '../instructions/mounts.js';
import type { Instruction } from '../instructions/types.js';
import { lex } from '../shell/lex.js';
import { parseOnbuildTriggers } from './onbuild.js';
import type { RawStage } from './stages.js';
import type { PlannedStage } from './types.js';

/**
 * Stage-to-stage edges known before dispatch, used to prune to the target (BuildKit also decides
 * reachability before it dispatches). `--from` values are expanded with the meta ARGs and the
 * stage's ARG defaults/build args; a value that does not expand cleanly is taken as written.
 */
export function preDependencies(
  stages: RawStage[],
  planned: PlannedStage[],
  metaEnv: Map<string, string>,
  buildArgs: Readonly<Record<string, string>>,
  escapeToken: string,
  resolve: (ref: string) => number | undefined | 'bad-index',
): number[][] {
  return stages.map((s, i) => {
    const p = planned[i] as PlannedStage;
    const deps: number[] = [];
    if (p.base.kind === 'stage') deps.push(p.base.index);
    const env = new Map(metaEnv);
    const soft = (w: string) => {
      try {
        return lex(w, env, { escapeToken }).result;
      } catch {
        return w;
      }
    };
    const add = (ref: string) => {
      const found = resolve(soft(ref));
      if (typeof found === 'number') deps.push(found);
    };
    let triggers: Instruction[] = [];
    try {
      triggers = parseOnbuildTriggers(p.baseOnbuild);
    } catch {
      triggers = [];
    }
    for (const ins of [...triggers, ...s.commands]) {
      if (ins.kind === 'ARG') {
        for (const a of ins.args) {
          const v = Object.hasOwn(buildArgs, a.key)
            ? buildArgs[a.key]
            : a.value !== undefined
              ? soft(a.value)
              : metaEnv.get(a.key);
          if (v !== undefined) env.set(a.key, v);
        }
      } else if (ins.kind === 'ENV') {
        for (const kv of ins.env) env.set(soft(kv.key), soft(kv.value));
      } else if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from !== undefined) {
        add(ins.from);
      } else if (ins.kind === 'RUN') {
        for (const spec of ins.mountSpecs) {
          let fields: string[] = [];
          try {
            fields = parseCsvRecord(spec);
          } catch {
            fields = [];
          }
          for (const f of fields) if (f.toLowerCase().startsWith('from=')) add(f.slice(5));
        }
      }
    }
    return deps;
  });
}

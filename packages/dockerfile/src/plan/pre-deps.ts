import { parseCsvRecord } from '../instructions/mounts.js';
import type { Instruction } from '../instructions/types.js';
import { parseOnbuildTriggers } from './onbuild.js';
import type { RawStage } from './stages.js';
import type { PlannedStage } from './types.js';

/**
 * Stage-to-stage edges known before dispatch, used to prune to the target. As in BuildKit, `--from`
 * values are looked up as written (a name, case-insensitive, or an index), not expanded.
 */
export function preDependencies(
  stages: RawStage[],
  planned: PlannedStage[],
  resolve: (ref: string) => number | undefined | 'bad-index',
): number[][] {
  return stages.map((s, i) => {
    const p = planned[i] as PlannedStage;
    const deps: number[] = [];
    if (p.base.kind === 'stage') deps.push(p.base.index);
    const add = (ref: string) => {
      const found = resolve(ref);
      if (typeof found === 'number') deps.push(found);
    };
    let triggers: Instruction[] = [];
    if (p.base.kind === 'stage') {
      // A stage used as a base runs the ONBUILD triggers recorded in that stage.
      for (const c of stages[p.base.index]?.commands ?? [])
        if (c.kind === 'ONBUILD') triggers.push(c.trigger);
    } else {
      try {
        triggers = parseOnbuildTriggers(p.baseOnbuild);
      } catch {
        triggers = [];
      }
    }
    for (const ins of [...triggers, ...s.commands]) {
      if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from !== undefined) add(ins.from);
      else if (ins.kind === 'RUN') {
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

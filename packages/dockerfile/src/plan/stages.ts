import { DockerfileError } from '../dockerfile-error.js';
import type { ArgInstruction, FromInstruction, Instruction } from '../instructions/types.js';

/** A stage as written, before expansion. */
export interface RawStage {
  index: number;
  from: FromInstruction;
  name?: string;
  commands: Instruction[];
}

/** Splits typed instructions into meta ARGs (before the first FROM) and stages. */
export function splitStages(
  instructions: Instruction[],
  file: string,
): { meta: ArgInstruction[]; stages: RawStage[] } {
  const meta: ArgInstruction[] = [];
  const stages: RawStage[] = [];
  const names = new Map<string, number>();
  for (const ins of instructions) {
    if (ins.kind === 'FROM') {
      const stage: RawStage = { index: stages.length, from: ins, commands: [] };
      if (ins.stageName !== undefined) {
        const prev = names.get(ins.stageName);
        if (prev !== undefined) {
          throw new DockerfileError(
            'STAGE',
            `planning: duplicate stage name ${JSON.stringify(ins.stageName)}`,
            {
              file,
              line: ins.range.start.line,
              column: ins.range.start.column,
              text: ins.original,
            },
          );
        }
        names.set(ins.stageName, stage.index);
        stage.name = ins.stageName;
      }
      stages.push(stage);
      continue;
    }
    const current = stages[stages.length - 1];
    if (current) current.commands.push(ins);
    else if (ins.kind === 'ARG') meta.push(ins);
    else {
      throw new DockerfileError('STAGE', 'planning: no build stage in current context', {
        file,
        line: ins.range.start.line,
        column: ins.range.start.column,
        text: ins.original,
      });
    }
  }
  if (stages.length === 0) {
    const line = instructions[0]?.range.start.line ?? 1;
    throw new DockerfileError('STAGE', 'planning: the Dockerfile has no FROM instruction', {
      file,
      line,
      column: 1,
    });
  }
  return { meta, stages };
}

/** Stage by `--from` value: a name (case-insensitive) or a numeric index. */
export function findStage(stages: RawStage[], ref: string): number | undefined | 'bad-index' {
  if (/^\d+$/.test(ref)) {
    const i = Number.parseInt(ref, 10);
    return i < stages.length ? i : 'bad-index';
  }
  const lower = ref.toLowerCase();
  return stages.find((s) => s.name === lower)?.index;
}

/**
 * Stages the target needs (itself, its base stages, `COPY --from` and `RUN --mount from=` stages,
 * transitively) in build order; throws on a dependency cycle.
 */
export function orderStages(
  deps: ReadonlyArray<ReadonlyArray<number>>,
  target: number,
  describe: (i: number) => { name: string; line: number; column: number },
  file: string,
): number[] {
  const state = new Map<number, 'visiting' | 'done'>();
  const order: number[] = [];
  const visit = (i: number): void => {
    const s = state.get(i);
    if (s === 'done') return;
    if (s === 'visiting') {
      const d = describe(i);
      throw new DockerfileError('STAGE', `planning: circular dependency detected on stage: ${d.name}`, {
        file,
        line: d.line,
        column: d.column,
        text: d.name,
      });
    }
    state.set(i, 'visiting');
    for (const d of deps[i] ?? []) visit(d);
    state.set(i, 'done');
    order.push(i);
  };
  visit(target);
  return order;
}

import type { Instruction, UserInstruction } from '../instructions/types.js';
import type { BuildPlan, PlannedStage } from '../plan/types.js';
import { warning } from './rules.js';
import type { LintWarning } from './types.js';

/** `alpine`, `alpine:latest`, `registry:5000/x` (no tag) → mutable; `x@sha256:…` or `x:1.2` → not flagged. */
export function mutableReference(ref: string): 'latest' | 'untagged' | undefined {
  if (ref.includes('@')) return undefined;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return 'untagged';
  return last.slice(colon + 1) === 'latest' ? 'latest' : undefined;
}

function effectiveUser(plan: BuildPlan, stage: PlannedStage): { user?: string; ins?: UserInstruction } {
  for (let i = stage.instructions.length - 1; i >= 0; i--) {
    const ins = stage.instructions[i] as Instruction;
    if (ins.kind === 'USER') return { user: ins.user, ins };
  }
  if (stage.base.kind === 'stage') {
    const parent = plan.stages[stage.base.index];
    if (parent) return effectiveUser(plan, parent);
  }
  return {};
}

/** Checks on the plan: root final stage, mutable base tags. */
export function supplyChainChecks(plan: BuildPlan, _typed: Instruction[]): LintWarning[] {
  const out: LintWarning[] = [];
  for (const i of plan.order) {
    const s = plan.stages[i] as PlannedStage;
    if (s.base.kind !== 'image') continue;
    const m = mutableReference(s.base.ref);
    if (m) {
      const what = m === 'latest' ? "the mutable tag 'latest'" : 'no tag (implicitly latest)';
      out.push(
        warning(
          'MutableBaseImage',
          `Base image '${s.base.ref}' is referenced by ${what}; pin it by digest (@sha256:…)`,
          s.from.range.start.line,
          s.from.range.start.column,
        ),
      );
    }
  }
  const target = plan.stages[plan.target] as PlannedStage;
  const { user, ins } = effectiveUser(plan, target);
  const name = (user ?? '').split(':')[0] ?? '';
  if (user === undefined || name === 'root' || name === '0' || name === '') {
    const where = ins?.range.start ?? target.from.range.start;
    const msg =
      user === undefined
        ? 'The final stage sets no USER, so the image runs as root'
        : `The final stage runs as root (USER ${user})`;
    out.push(warning('RootUser', msg, where.line, where.column));
  }
  return out;
}

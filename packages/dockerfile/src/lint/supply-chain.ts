import type { Instruction } from '../instructions/types.js';
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
  const name = target.user.split(':')[0] ?? '';
  if (name === '' || name === 'root' || name === '0') {
    let where = target.from.range.start;
    for (const ins of target.instructions) if (ins.kind === 'USER') where = ins.range.start;
    const msg =
      target.user === ''
        ? 'The final stage sets no USER, so the image runs as root'
        : `The final stage runs as root (USER ${target.user})`;
    out.push(warning('RootUser', msg, where.line, where.column));
  }
  return out;
}

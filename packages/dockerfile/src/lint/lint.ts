import { DockerfileError } from '../dockerfile-error.js';
import { type InstructionParseOptions, parseInstruction } from '../instructions/parse-instruction.js';
import type { Instruction } from '../instructions/types.js';
import { parseCheckDirective } from '../parser/directives.js';
import type { DockerfileAst } from '../parser/node.js';
import { parseDockerfile } from '../parser/parse.js';
import { planWithFindings } from '../plan/create-build-plan.js';
import type { BuildPlan, PlanOptions } from '../plan/types.js';
import { syntaxChecks } from './checks.js';
import { supplyChainChecks } from './supply-chain.js';
import type { LintWarning } from './types.js';

export interface LintOptions extends InstructionParseOptions {
  /** Rule ids to disable (in addition to `# check=skip=`). `all` disables every rule. */
  skip?: string[];
  /** Throw DockerfileError('LINT') when a check fails (also `# check=error=true`). */
  error?: boolean;
}

/** Runs every check on a parsed file and its plan, applies skips, returns the combined warnings. */
export function lintDockerfileAst(
  ast: DockerfileAst,
  typed: Instruction[],
  plan: BuildPlan | undefined,
  options: LintOptions,
): LintWarning[] {
  const check = ast.directives.find((d) => d.name === 'check');
  const directive = check ? parseCheckDirective(check.value) : { skip: [], skipAll: false, error: false };
  const skip = new Set([...directive.skip, ...(options.skip ?? [])].map((s) => s.toLowerCase()));
  const skipAll = directive.skipAll || skip.has('all');
  const found = [
    ...(plan?.warnings ?? []),
    ...syntaxChecks(ast, typed),
    ...(plan ? supplyChainChecks(plan, typed) : []),
  ];
  const seen = new Set<string>();
  const kept = found.filter((w) => {
    const key = `${w.rule}:${w.line}:${w.column}:${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return !skipAll && !skip.has(w.rule.toLowerCase());
  });
  kept.sort((a, b) => a.line - b.line || a.column - b.column);
  if ((directive.error || options.error) && kept.some((w) => w.rule !== 'UnusedBuildArg')) {
    const w = kept.find((k) => k.rule !== 'UnusedBuildArg') as LintWarning;
    throw new DockerfileError('LINT', `checking ${w.rule}: ${w.message}`, {
      file: options.file ?? 'Dockerfile',
      line: w.line,
      column: w.column,
    });
  }
  return kept;
}

/** Lint a Dockerfile on its own (syntax checks; plan checks too when it plans cleanly). */
export function lintDockerfile(
  source: string | Uint8Array,
  options: LintOptions & PlanOptions = {},
): LintWarning[] {
  const ast = parseDockerfile(source, options);
  const typed = ast.instructions.map((n) => parseInstruction(n, options));
  let plan: BuildPlan | undefined;
  try {
    plan = planWithFindings(source, options).plan;
  } catch (e) {
    if (!(e instanceof DockerfileError)) throw e;
  }
  return lintDockerfileAst(ast, typed, plan, options);
}

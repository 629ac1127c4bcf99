/** One finding of the lint pass, the parser, or the planner. */
export interface LintWarning {
  /** Rule id, e.g. `JSONArgsRecommended`, `UnusedBuildArg`. */
  rule: string;
  message: string;
  /** 1-based line, 0 when the finding is about the build as a whole. */
  line: number;
  column: number;
  /** Link/description of the rule. */
  description: string;
}

export interface LintRule {
  id: string;
  description: string;
  /** `buildkit` for BuildKit's own checks, `supply-chain` for ours. */
  family: 'buildkit' | 'supply-chain' | 'parser';
}

import type { Instruction } from '../instructions/types.js';
import type { DockerfileAst } from '../parser/node.js';
import type { BuildPlan } from '../plan/types.js';

export interface LintOptions {
  file?: string;
  skip?: string[];
  error?: boolean;
}

/** Placeholder replaced below. */
export function lintDockerfileAst(
  _ast: DockerfileAst,
  _typed: Instruction[],
  _plan: BuildPlan,
  _o: LintOptions,
): void {}

import { DockerfileError } from '../dockerfile-error.js';
import { parseInstruction } from '../instructions/parse-instruction.js';
import type { Instruction } from '../instructions/types.js';
import { parseDockerfile } from '../parser/parse.js';

/**
 * A base image's `config.OnBuild` triggers → typed instructions, as BuildKit parses them before the
 * stage's own instructions. ONBUILD, FROM and MAINTAINER are not allowed as triggers.
 */
export function parseOnbuildTriggers(
  triggers: readonly string[],
  options: { file?: string } = {},
): Instruction[] {
  const file = options.file ?? 'ONBUILD';
  if (triggers.length === 0) return [];
  const ast = parseDockerfile(triggers.join('\n'), { file });
  return ast.instructions.map((node) => {
    const kind = node.keyword.toUpperCase();
    if (kind === 'ONBUILD' || kind === 'FROM' || kind === 'MAINTAINER') {
      throw new DockerfileError(
        'INSTRUCTION',
        `parsing ONBUILD trigger: ${kind} isn't allowed as an ONBUILD trigger`,
        {
          file,
          line: node.range.start.line,
          column: node.range.start.column,
          text: node.original,
        },
      );
    }
    return parseInstruction(node, { file });
  });
}

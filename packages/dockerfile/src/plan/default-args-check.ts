import type { ArgInstruction } from '../instructions/types.js';
import { warning } from '../lint/rules.js';
import type { LintWarning } from '../lint/types.js';
import { lex } from '../shell/lex.js';
import type { RawStage } from './stages.js';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** Whether text parses as a Docker image reference (distribution/reference grammar, simplified). */
export function isValidReference(text: string): boolean {
  return REFERENCE.test(text);
}

/**
 * BuildKit's InvalidDefaultArgInFrom: with no build args given, using only ARG defaults, every FROM
 * must still expand to a valid image reference (e.g. `ARG TAG` + `FROM alpine:${TAG}` does not).
 */
export function invalidDefaultArgsInFrom(
  meta: ArgInstruction[],
  stages: RawStage[],
  automatic: Array<[string, string]>,
  escapeToken: string,
): LintWarning[] {
  const env = new Map(automatic);
  try {
    for (const ins of meta) {
      for (const a of ins.args)
        if (a.value !== undefined) env.set(a.key, lex(a.value, env, { escapeToken }).result);
    }
  } catch {
    return [];
  }
  const out: LintWarning[] = [];
  for (const s of stages) {
    let image: string;
    try {
      image = lex(s.from.image, env, { escapeToken }).result;
    } catch {
      return out;
    }
    const isStage = stages.some((o) => o.index < s.index && o.name === image);
    if (!isStage && image !== 'scratch' && !isValidReference(image)) {
      out.push(
        warning(
          'InvalidDefaultArgInFrom',
          `Default value for ARG ${s.from.image} results in empty or invalid base image name`,
          s.from.range.start.line,
          s.from.range.start.column,
        ),
      );
    }
  }
  return out;
}

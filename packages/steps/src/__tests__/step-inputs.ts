import { parseInputs } from '../parse-inputs.js';
import type { InferInputs, StepSpec } from '../step-spec.js';

/** A step's typed inputs from raw strings, as an adapter would parse them. */
export function stepInputs<S extends StepSpec>(
  spec: S,
  raw: Record<string, string | string[]>,
  env: Record<string, string> = {},
): InferInputs<S> {
  return parseInputs(spec, raw, env).values as InferInputs<S>;
}

import type { InferInputs, StepSpec } from '../step-spec.js';

/**
 * Builds another step's inputs from this step's values: every input `target` declares is taken from
 * `from` (same name), then `overrides` win. Lets build reuse sign/attest-sbom instead of copying them.
 */
export function pickInputs<T extends StepSpec>(
  target: T,
  from: Record<string, unknown>,
  overrides: Partial<Record<keyof T['inputs'], unknown>>,
): InferInputs<T> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(target.inputs)) out[name] = from[name];
  return { ...out, ...overrides } as InferInputs<T>;
}

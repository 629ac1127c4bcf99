import type { StepContext } from './step-context.js';
import type { InferInputs, InferOutputs, StepSpec } from './step-spec.js';

/** A step: its spec plus `run`, the one place that calls into a library. */
export interface Step<S extends StepSpec = StepSpec> {
  readonly spec: S;
  run(ctx: StepContext, inputs: InferInputs<S>): Promise<InferOutputs<S>>;
}

/** A step with its types erased, for adapters that handle every step alike. */
export interface AnyStep {
  readonly spec: StepSpec;
  run(ctx: StepContext, inputs: Record<string, unknown>): Promise<Record<string, string>>;
}

/**
 * Declares a step's contract once. `const S` keeps literal types so `InferInputs<S>` knows that
 * `push` is a boolean and `compression` is `'gzip' | 'zstd'`.
 */
export function defineSpec<const S extends StepSpec>(spec: S): S {
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      throw new TypeError(`step ${spec.name}: input name ${name} must be kebab-case`);
    if (input.type === 'enum' && (input.options === undefined || input.options.length === 0)) {
      throw new TypeError(`step ${spec.name}: enum input ${name} needs options`);
    }
    if (input.required === true && input.default !== undefined) {
      throw new TypeError(`step ${spec.name}: input ${name} cannot be both required and defaulted`);
    }
  }
  return spec;
}

/** Pairs a spec with its `run`. */
export function defineStep<const S extends StepSpec>(
  spec: S,
  run: (ctx: StepContext, inputs: InferInputs<S>) => Promise<InferOutputs<S>>,
): Step<S> {
  return { spec: defineSpec(spec), run };
}

/** Erases a step's types (safe: adapters parse inputs with the same spec before calling run). */
export function anyStep<S extends StepSpec>(step: Step<S>): AnyStep {
  return step as unknown as AnyStep;
}

/** Kinds of input a step accepts; every CI surface renders them from this one list. */
export type InputType = 'string' | 'boolean' | 'number' | 'list' | 'enum' | 'secret';

/** Which surfaces a step (or an input) appears on. */
export type Surface = 'github' | 'gitlab' | 'cli';

/** One input of a step, declared once and rendered into action.yml, spec:inputs, CLI flags and READMEs. */
export interface InputSpec {
  readonly type: InputType;
  readonly description: string;
  /** Default as the value a user would type (string form); absent means "unset". */
  readonly default?: string | boolean | number | readonly string[];
  readonly required?: boolean;
  /** Allowed values of an `enum` input. */
  readonly options?: readonly string[];
  /** Other accepted names (deprecated spellings, kaniko's names). */
  readonly aliases?: readonly string[];
  /** CLI flag name when it differs from the input name (kaniko executor's spelling). */
  readonly flag?: string;
  /** One-letter CLI short flag (`c` for `-c`). */
  readonly short?: string;
  /** Environment variable that supplies the value when the input is not given. */
  readonly env?: string;
  /** For lists: `newline` keeps commas inside items (build args, labels); default splits on both. */
  readonly separator?: 'newline' | 'newline-or-comma';
  /**
   * For lists: an empty item among others (`a,,b`, `a,`, a blank line between two) is an error
   * instead of being skipped, where it would mean a variable that was not set (`$A,$B`, B unset).
   */
  readonly noEmptyItems?: boolean;
  /** Validation pattern for string inputs (also rendered into GitLab's `regex`); must accept ''. */
  readonly regex?: string;
  /** Surfaces that show this input (default: all). */
  readonly surfaces?: readonly Surface[];
  /** Default used only in GitLab templates (e.g. `$KANIKO_TS_IMAGE_REF` from an earlier job's dotenv). */
  readonly gitlabDefault?: string;
}

/** One output of a step. */
export interface OutputSpec {
  readonly description: string;
  /** Environment variable name the adapters export it as (GitHub env, GitLab dotenv). */
  readonly env?: string;
}

/** The declarative half of a step. */
export interface StepSpec {
  readonly name: string;
  readonly description: string;
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly outputs: Readonly<Record<string, OutputSpec>>;
  /** Surfaces the step is published on (default: all). */
  readonly surfaces?: readonly Surface[];
}

type ValueOf<I extends InputSpec> = I['type'] extends 'boolean'
  ? boolean
  : I['type'] extends 'number'
    ? number
    : I['type'] extends 'list'
      ? string[]
      : I['type'] extends 'enum'
        ? I['options'] extends readonly (infer O)[]
          ? O
          : string
        : string;

type IsPresent<I extends InputSpec> = I['required'] extends true
  ? true
  : I extends { default: unknown }
    ? true
    : I['type'] extends 'list' | 'boolean'
      ? true
      : false;

/** The parsed, typed inputs `run` receives. Lists and booleans are always present. */
export type InferInputs<S extends StepSpec> = {
  -readonly [K in keyof S['inputs']]: IsPresent<S['inputs'][K]> extends true
    ? ValueOf<S['inputs'][K]>
    : ValueOf<S['inputs'][K]> | undefined;
};

/** The outputs `run` returns: every declared output, as a string ('' when not applicable). */
export type InferOutputs<S extends StepSpec> = { -readonly [K in keyof S['outputs']]: string };

/** True when `surface` shows this step or input. */
export function onSurface(item: { readonly surfaces?: readonly Surface[] }, surface: Surface): boolean {
  return item.surfaces === undefined || item.surfaces.includes(surface);
}

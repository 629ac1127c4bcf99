import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineSpec } from '../define-step.js';
import { parseInputs, splitList } from '../parse-inputs.js';
import type { InferInputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';

const spec = defineSpec({
  name: 'demo',
  description: 'demo',
  inputs: {
    image: { type: 'string', required: true, description: 'image' },
    tags: { type: 'list', aliases: ['destination'], description: 'tags' },
    args: { type: 'list', separator: 'newline', description: 'args' },
    sources: { type: 'list', noEmptyItems: true, description: 'sources' },
    push: { type: 'boolean', default: true, description: 'push' },
    retries: { type: 'number', default: 0, description: 'retries' },
    level: { type: 'number', description: 'level' },
    mode: { type: 'enum', options: ['a', 'b'], default: 'a', description: 'mode' },
    password: { type: 'secret', env: 'DEMO_PASSWORD', description: 'password' },
    platform: { type: 'string', regex: '^$|^[a-z]+/[a-z0-9]+$', description: 'platform' },
  },
  outputs: {},
});

describe('parseInputs', () => {
  it('applies defaults and types every value', () => {
    const { values } = parseInputs(spec, { image: 'x' });
    expect(values).toEqual({
      image: 'x',
      tags: [],
      args: [],
      sources: [],
      push: true,
      retries: 0,
      level: undefined,
      mode: 'a',
      password: undefined,
      platform: undefined,
    });
  });

  it('splits lists on newlines and commas, but only newlines where commas are data', () => {
    const { values } = parseInputs(spec, { image: 'x', tags: 'a:1, a:2\n\na:3\n', args: 'A=1,2\nB=3' });
    expect(values.tags).toEqual(['a:1', 'a:2', 'a:3']);
    expect(values.args).toEqual(['A=1,2', 'B=3']);
  });

  it('refuses an empty item where the input says it means an unset variable', () => {
    expect(parseInputs(spec, { image: 'x', sources: '\nr/a@1\nr/b@2\n' }).values.sources).toEqual([
      'r/a@1',
      'r/b@2',
    ]);
    for (const sources of ['r/a@1,', ',r/b@2', 'r/a@1,,r/b@2', 'r/a@1\n\nr/b@2', 'r/a@1, '])
      expect(() => parseInputs(spec, { image: 'x', sources })).toThrow(
        /parsing input sources of demo: item \d of ".*" is empty \(a variable that is not set\?\)/,
      );
    // other lists skip empty items
    expect(parseInputs(spec, { image: 'x', tags: 'a:1,' }).values.tags).toEqual(['a:1']);
  });

  it('concatenates repeated values (CLI flags) and accepts aliases', () => {
    const { values } = parseInputs(spec, { image: 'x', destination: ['r/a:1', 'r/a:2'] });
    expect(values.tags).toEqual(['r/a:1', 'r/a:2']);
  });

  it('reads booleans the way YAML 1.2 core spells them and rejects anything else', () => {
    expect(parseInputs(spec, { image: 'x', push: 'FALSE' }).values.push).toBe(false);
    expect(parseInputs(spec, { image: 'x', push: 'True' }).values.push).toBe(true);
    expect(() => parseInputs(spec, { image: 'x', push: 'yes' })).toThrow(
      /push of demo: expected true or false/,
    );
  });

  it('rejects non-numbers, unknown enum values, regex mismatches and unknown inputs', () => {
    expect(() => parseInputs(spec, { image: 'x', retries: 'three' })).toThrow(/expected a number/);
    expect(() => parseInputs(spec, { image: 'x', mode: 'c' })).toThrow(/expected one of a, b, got "c"/);
    expect(() => parseInputs(spec, { image: 'x', platform: 'linux' })).toThrow(/does not match/);
    expect(() => parseInputs(spec, { image: 'x', colour: 'red' })).toThrow(/unknown input colour/);
    expect(parseInputs(spec, { image: 'x', platform: 'linux/arm64', level: '9' }).values).toMatchObject({
      platform: 'linux/arm64',
      level: 9,
    });
  });

  it('reports every missing required input with a MISSING_INPUT code', () => {
    try {
      parseInputs(spec, { image: '  ' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StepsError);
      expect((e as StepsError).code).toBe('MISSING_INPUT');
      expect((e as Error).message).toContain('missing required input image');
    }
  });

  it('collects secrets for masking, from the input or its environment variable', () => {
    expect(parseInputs(spec, { image: 'x', password: 's3cret' }).secrets).toEqual(['s3cret']);
    const fromEnv = parseInputs(spec, { image: 'x' }, { DEMO_PASSWORD: 'from-env' });
    expect(fromEnv.values.password).toBe('from-env');
    expect(fromEnv.secrets).toEqual(['from-env']);
  });

  it('types run inputs from the spec', () => {
    type I = InferInputs<typeof spec>;
    expectTypeOf<I['push']>().toEqualTypeOf<boolean>();
    expectTypeOf<I['tags']>().toEqualTypeOf<string[]>();
    expectTypeOf<I['mode']>().toEqualTypeOf<'a' | 'b'>();
    expectTypeOf<I['level']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<I['image']>().toEqualTypeOf<string>();
  });
});

describe('splitList', () => {
  it('drops blanks and trims', () => {
    expect(splitList(' a ,, b\r\n c ', 'newline-or-comma')).toEqual(['a', 'b', 'c']);
    expect(splitList('a=1,2\r\nb', 'newline')).toEqual(['a=1,2', 'b']);
  });
});

describe('defineSpec', () => {
  it('refuses malformed specs', () => {
    expect(() =>
      defineSpec({
        name: 's',
        description: '',
        inputs: { Bad: { type: 'string', description: '' } },
        outputs: {},
      }),
    ).toThrow(/kebab-case/);
    expect(() =>
      defineSpec({
        name: 's',
        description: '',
        inputs: { e: { type: 'enum', description: '' } },
        outputs: {},
      }),
    ).toThrow(/needs options/);
    expect(() =>
      defineSpec({
        name: 's',
        description: '',
        inputs: { e: { type: 'string', required: true, default: 'x', description: '' } },
        outputs: {},
      }),
    ).toThrow(/both required and defaulted/);
  });
});

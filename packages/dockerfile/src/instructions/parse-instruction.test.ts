// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell words with ${…} are the test data
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../dockerfile-error.js';
import { parseDockerfile } from '../parser/parse.js';
import { parseBytes, parseChmod, parseGoDuration } from './flags.js';
import { parseCsvRecord, parseMount } from './mounts.js';
import { parseInstruction } from './parse-instruction.js';
import type { Instruction } from './types.js';

function parse(src: string): Instruction[] {
  return parseDockerfile(src).instructions.map((n) => parseInstruction(n));
}
function errorOf(src: string): DockerfileError {
  try {
    parse(src);
  } catch (e) {
    if (e instanceof DockerfileError) return e;
    throw e;
  }
  throw new Error('expected a DockerfileError');
}

describe('instruction errors carry file:line:column and the offending text', () => {
  it.each([
    ['FROM a\nRUN --foo=bar echo', 'Dockerfile:2:5: parsing RUN: unknown flag: foo: "--foo=bar"'],
    [
      'FROM a\nCOPY --link=maybe a b',
      'Dockerfile:2:6: parsing COPY: expecting boolean value for flag link, not: maybe: "--link=maybe"',
    ],
    [
      'FROM a\nCOPY --from=a --from=b x y',
      'Dockerfile:2:15: parsing COPY: Duplicate flag specified: from: "--from=b"',
    ],
    ['FROM a\nCOPY --chown x y', 'Dockerfile:2:6: parsing COPY: Missing a value on flag: chown: "--chown"'],
    ['FROM a b', 'Dockerfile:1:1: parsing FROM: FROM requires either one or three arguments: "FROM a b"'],
    [
      'FROM a AS 1x',
      'Dockerfile:1:11: parsing FROM: invalid name for build stage: "1x", name can\'t start with a number or contain symbols: "1x"',
    ],
    [
      'FROM a\nCOPY onlyone',
      'Dockerfile:2:1: parsing COPY: COPY requires at least two arguments, but only one was provided. Destination could not be determined: "COPY onlyone"',
    ],
    [
      'FROM a\nSHELL /bin/sh -c',
      'Dockerfile:2:1: parsing SHELL: SHELL requires the arguments to be in JSON form: "SHELL /bin/sh -c"',
    ],
    [
      'FROM a\nONBUILD ONBUILD RUN x',
      'Dockerfile:2:1: parsing ONBUILD: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed: "ONBUILD ONBUILD RUN x"',
    ],
    [
      'FROM a\nONBUILD FROM b',
      'Dockerfile:2:1: parsing ONBUILD: FROM isn\'t allowed as an ONBUILD trigger: "ONBUILD FROM b"',
    ],
    [
      'FROM a\nHEALTHCHECK NONE x',
      'Dockerfile:2:1: parsing HEALTHCHECK: HEALTHCHECK NONE takes no arguments: "HEALTHCHECK NONE x"',
    ],
    [
      'FROM a\nHEALTHCHECK --interval=1us CMD x',
      'Dockerfile:2:24: parsing HEALTHCHECK: Interval "interval" cannot be less than 1ms: "1us"',
    ],
    [
      'FROM a\nHEALTHCHECK CONNECT TCP 7000',
      'Dockerfile:2:13: parsing HEALTHCHECK: Unknown type "CONNECT" in HEALTHCHECK (try CMD): "CONNECT"',
    ],
    [
      'FROM a\nRUN --network=bridge x',
      'Dockerfile:2:15: parsing RUN: unsupported network mode: bridge: "bridge"',
    ],
    [
      'FROM a AS b\nRUN --mount=type=bind,from=$X,target=/x x',
      "Dockerfile:2:23: parsing RUN: 'from' doesn't support variable expansion, define alias stage instead: \"from=$X\"",
    ],
    ['FROM a\nBOGUS x', 'Dockerfile:2:1: parsing BOGUS: unknown instruction: BOGUS: "BOGUS"'],
    ['FROM a\nENV', 'Dockerfile:2:1: parsing ENV: ENV requires at least one argument: "ENV"'],
    ['FROM a\nCOPY --chmod=999 a b', 'Dockerfile:2:14: parsing COPY: invalid chmod parameter: 999: "999"'],
  ])('%s', (src, message) => {
    const e = errorOf(src);
    expect(e.code).toBe('INSTRUCTION');
    expect(e.message).toBe(message);
  });
});

describe('typed instructions', () => {
  it('ARG several per line, with and without defaults', () => {
    expect(parse('ARG a b=1 c="x y"')[0]).toMatchObject({
      kind: 'ARG',
      args: [{ key: 'a' }, { key: 'b', value: '1' }, { key: 'c', value: '"x y"' }],
    });
  });
  it('ENV both forms', () => {
    const [old, kv] = parse('ENV A b c\nENV A=1 B="2 3"');
    expect(old).toMatchObject({ env: [{ key: 'A', value: 'b c' }] });
    expect(kv).toMatchObject({
      env: [
        { key: 'A', value: '1' },
        { key: 'B', value: '"2 3"' },
      ],
    });
  });
  it('FROM with platform and a stage name (lower-cased)', () => {
    expect(parse('FROM --platform=linux/arm64 img:1 as Build')[0]).toMatchObject({
      kind: 'FROM',
      image: 'img:1',
      stageName: 'build',
      platform: 'linux/arm64',
    });
  });
  it('HEALTHCHECK NONE and exec form', () => {
    const [none, exec] = parse('HEALTHCHECK NONE\nHEALTHCHECK --retries=2 CMD ["a","b"]');
    expect(none).toMatchObject({ test: ['NONE'], retries: 0 });
    expect(exec).toMatchObject({ test: ['CMD', 'a', 'b'], retries: 2 });
  });
  it('ONBUILD keeps the trigger expression and its parsed instruction', () => {
    expect(parse('ONBUILD   RUN echo "$x"')[0]).toMatchObject({
      kind: 'ONBUILD',
      expression: 'RUN echo "$x"',
      trigger: { kind: 'RUN', command: { form: 'shell', text: 'echo "$x"' } },
    });
  });
  it('MAINTAINER, STOPSIGNAL, VOLUME JSON, EXPOSE', () => {
    expect(parse('MAINTAINER Jane <j@x>\nSTOPSIGNAL 9\nVOLUME ["/a","/b"]\nEXPOSE 80 443/tcp')).toMatchObject(
      [
        { kind: 'MAINTAINER', maintainer: 'Jane <j@x>' },
        { kind: 'STOPSIGNAL', signal: '9' },
        { kind: 'VOLUME', volumes: ['/a', '/b'] },
        { kind: 'EXPOSE', ports: ['443/tcp', '80'] },
      ],
    );
  });
});

describe('flag values', () => {
  it('chmod: octal and symbolic', () => {
    expect(parseChmod('0755')).toEqual({ kind: 'octal', mode: 0o755, text: '0755' });
    expect(parseChmod('u=rwX,go=rX')).toEqual({ kind: 'symbolic', text: 'u=rwX,go=rX' });
    expect(parseChmod('a+x')).toEqual({ kind: 'symbolic', text: 'a+x' });
    expect(() => parseChmod('rwx')).toThrow(/invalid chmod/);
    expect(() => parseChmod('17777')).toThrow(/invalid chmod/);
  });
  it('Go durations', () => {
    expect(parseGoDuration('1m30s')).toBe(90e9);
    expect(parseGoDuration('1.5h')).toBe(5400e9);
    expect(parseGoDuration('250ms')).toBe(250e6);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('5')).toThrow(/invalid duration/);
    expect(() => parseGoDuration('5x')).toThrow(/invalid duration/);
  });
  it('sizes', () => {
    expect(parseBytes('64m')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    expect(parseBytes('512')).toBe(512);
    expect(() => parseBytes('lots')).toThrow(/invalid size/);
  });
});

describe('RUN --mount', () => {
  const id = (w: string) => w;
  it('CSV with quotes', () => {
    expect(parseCsvRecord('type=bind,"target=/a,b",ro')).toEqual(['type=bind', 'target=/a,b', 'ro']);
    expect(() => parseCsvRecord('a"b')).toThrow(/bare "/);
  });
  it('defaults per type', () => {
    expect(parseMount('target=/src', id)).toEqual({ type: 'bind', target: '/src', readonly: true });
    expect(parseMount('type=cache,target=/c', id)).toEqual({
      type: 'cache',
      target: '/c',
      readonly: false,
      id: '/c',
      sharing: 'shared',
    });
    expect(parseMount('type=secret,id=npmrc', id)).toMatchObject({
      id: 'npmrc',
      target: '/run/secrets/npmrc',
      mode: 0o400,
      required: false,
    });
    expect(parseMount('type=ssh,required=true', id)).toMatchObject({
      id: 'default',
      required: true,
      mode: 0o600,
    });
    expect(parseMount('type=bind,target=/x,rw', id)).toMatchObject({ readonly: false });
    expect(parseMount('type=cache,target=/x,readonly=true,uid=1,gid=2,mode=0700', id)).toMatchObject({
      readonly: true,
      uid: 1,
      gid: 2,
      mode: 0o700,
    });
  });
  it('expands values but not the type', () => {
    expect(
      parseMount('type=cache,target=$T,id=${ID}', (w) => w.replace('$T', '/t').replace('${ID}', 'i')),
    ).toMatchObject({ target: '/t', id: 'i' });
  });
  it.each([
    ['type=bind,target=/x,mode=0700', /mode not allowed for "bind"/],
    ['type=bind,target=/x,sharing=locked', /invalid cache sharing set for bind mount/],
    ['type=cache,target=/x,sharing=maybe', /unsupported sharing value "maybe"/],
    ['type=secret,id=a,from=x', /secret mount should not have a from/],
    ['type=secret,id=a,src=b', /both source and id can't be set/],
    ['type=tmpfs', /requires a target/],
    ['type=bind,target=/x,size=1m', /unexpected key 'size' for mount type 'bind'/],
    ['type=bind,target=/x,bogus=1', /unexpected key 'bogus'/],
    ['type=bind,target=/x,oops', /must be a key=value pair/],
    ['type=cache,target=/x,uid=-1', /invalid value -1 for uid/],
    ['type=secret,id=a,required=maybe', /invalid value for required: maybe/],
  ])('%s', (spec, message) => {
    expect(() => parseMount(spec, id)).toThrow(message);
  });
});

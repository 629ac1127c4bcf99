// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text with ${…} is the test data
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../dockerfile-error.js';
import { createBuildPlan } from './create-build-plan.js';
import type { PlannedRun, PlanOptions } from './types.js';

function planError(src: string, options: PlanOptions = {}): DockerfileError {
  try {
    createBuildPlan(src, options);
  } catch (e) {
    if (e instanceof DockerfileError) return e;
    throw e;
  }
  throw new Error('expected a DockerfileError');
}
const rules = (src: string, options: PlanOptions = {}) =>
  createBuildPlan(src, options).warnings.map((w) => w.rule);

describe('stage errors', () => {
  it.each([
    ['RUN x\nFROM a', 'Dockerfile:1:1: planning: no build stage in current context: "RUN x"'],
    ['ARG A', 'Dockerfile:1:1: planning: the Dockerfile has no FROM instruction'],
    ['FROM a AS x\nFROM b AS X', 'Dockerfile:2:1: planning: duplicate stage name "x": "FROM b AS X"'],
    ['ARG E\nFROM ${E}', 'Dockerfile:2:1: planning: base name (${E}) should not be blank: "FROM ${E}"'],
    [
      'FROM a AS one\nCOPY --from=two /x /y\nFROM b AS two\nFROM c\nCOPY --from=one /p /q',
      'Dockerfile:2:1: planning COPY: cannot copy from stage "two", it needs to be defined before current stage "one": "two"',
    ],
    ['FROM a\nCOPY --from=5 /x /y', 'Dockerfile:2:1: planning COPY: invalid stage index 5: "5"'],
    [
      'FROM a\nCOPY http://x/y /y',
      'Dockerfile:2:1: planning COPY: source can\'t be a URL for COPY: "http://x/y"',
    ],
    [
      'FROM a\nADD --checksum=sha256:abc a b /c',
      'Dockerfile:2:1: planning ADD: checksum can\'t be specified for multiple sources: "ADD --checksum=sha256:abc a b /c"',
    ],
    [
      'FROM a\nWORKDIR ${X:?must be set}',
      'Dockerfile:2:1: expanding failed to process "${X:?must be set}": X: must be set: "WORKDIR ${X:?must be set}"',
    ],
    [
      'FROM a\nARG T\nRUN --mount=type=$T,target=/x x',
      'Dockerfile:3:1: planning RUN: unsupported mount type "nfs": "type=$T"',
    ],
    ['FROM a\nEXPOSE 80/foo', 'Dockerfile:2:1: planning EXPOSE: invalid containerPort: 80/foo: "80/foo"'],
  ])('%s', (src, message) => {
    expect(planError(src, { buildArgs: { T: 'nfs' } }).message).toBe(message);
  });
  it('a dependency cycle is reported with the stage', () => {
    const e = planError('FROM a AS one\nCOPY --from=two /x /y\nFROM one AS two\nCOPY --from=one /a /b\n', {
      target: 'two',
    });
    expect(e.code).toBe('STAGE');
    expect(e.message).toMatch(/circular dependency detected on stage: (one|two)/);
  });
  it('an invalid --platform is an error', () => {
    expect(planError('FROM --platform="linux/am d64" a').message).toMatch(
      /^Dockerfile:1:1: planning: failed to parse platform linux\/am d64/,
    );
  });
  it('an unknown target is an error', () => {
    expect(planError('FROM a AS b', { target: 'nope' }).message).toBe(
      'Dockerfile:1:1: planning: target stage "nope" could not be found: "nope"',
    );
  });
  it('errors in stages the target does not need are not raised (they are not dispatched)', () => {
    const plan = createBuildPlan('FROM a AS broken\nWORKDIR ${X:?}\nFROM b AS ok\n', { target: 'ok' });
    expect(plan.order).toEqual([1]);
    expect(plan.stages[0]?.reachable).toBe(false);
  });
});

describe('ARG and ENV scoping', () => {
  it('meta ARGs are visible in FROM but inside a stage only when declared again', () => {
    const plan = createBuildPlan('ARG V=1\nFROM img:$V\nRUN echo\nARG V\nRUN echo\n', { lint: false });
    const [r1, , r2] = (plan.stages[0]?.instructions ?? []) as PlannedRun[];
    expect(plan.stages[0]?.baseText).toBe('img:1');
    expect(r1?.environment).toEqual([]);
    expect(r2?.environment).toEqual([['V', '1']]);
  });
  it('a build arg overrides a stage default; the default is expanded in stage scope', () => {
    const src = 'FROM scratch\nENV P=/p\nARG A=$P/a\nARG B=$P/b\nENV C=$A:$B\n';
    const plan = createBuildPlan(src, { buildArgs: { B: 'given' }, lint: false });
    expect(plan.stages[0]?.env).toContainEqual(['C', '/p/a:given']);
  });
  it('ENV overrides an ARG of the same name', () => {
    const plan = createBuildPlan('FROM scratch\nARG X=arg\nENV X=env\nENV Y=$X\n', {
      buildArgs: { X: 'cli' },
      lint: false,
    });
    expect(plan.stages[0]?.env).toContainEqual(['Y', 'env']);
  });
  it('platform ARGs are normalized and only visible in a stage when declared', () => {
    const plan = createBuildPlan(
      'FROM --platform=$BUILDPLATFORM scratch\nENV A=x$TARGETARCH\nARG TARGETARCH\nENV B=$TARGETARCH-$TARGETVARIANT\n',
      {
        targetPlatform: 'linux/aarch64',
        buildPlatform: 'linux/x86_64',
        lint: false,
      },
    );
    expect(plan.stages[0]?.platform).toBe('linux/amd64');
    expect(plan.stages[0]?.env).toEqual([
      ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['A', 'x'],
      ['B', 'arm64-'],
    ]);
    expect(plan.platformArgs.TARGETPLATFORM).toBe('linux/arm64');
  });
  it('unused build args are a warning; proxy args are not, and RUN gets them', () => {
    const plan = createBuildPlan('FROM scratch\nARG USED\nRUN x\n', {
      buildArgs: { USED: '1', UNUSED: '2', https_proxy: 'http://p' },
    });
    expect(plan.warnings.filter((w) => w.rule === 'UnusedBuildArg').map((w) => w.message)).toEqual([
      'build argument "UNUSED" was provided but not used',
    ]);
    const run = plan.stages[0]?.instructions[1] as PlannedRun;
    expect(run.environment).toContainEqual(['https_proxy', 'http://p']);
  });
  it('FROM <stage> must match the stage name exactly; other text is an image', () => {
    const plan = createBuildPlan('FROM a AS base\nFROM base\nFROM Base\n', { lint: false });
    expect(plan.stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'a' },
      { kind: 'stage', index: 0, name: 'base' },
      { kind: 'image', ref: 'Base' },
    ]);
  });
  it('base image config: ENV, PATH default, WORKDIR and USER are the starting state', () => {
    const plan = createBuildPlan('FROM img\nWORKDIR sub\nRUN x\n', {
      baseImages: { img: { env: ['HOME=/root'], workingDir: '/w', user: 'u' } },
      lint: false,
    });
    const stage = plan.stages[0];
    expect(stage?.env.map(([k]) => k)).toEqual(['HOME', 'PATH']);
    expect(stage?.workdir).toBe('/w/sub');
    expect(stage?.user).toBe('u');
    expect((stage?.instructions[1] as PlannedRun | undefined)?.workdir).toBe('/w/sub');
  });
});

describe('lint wiring', () => {
  it('# check=skip= and options.skip disable rules; skip=all disables everything', () => {
    const src = 'FROM alpine\nCMD x\n';
    expect(rules(src)).toEqual(['MutableBaseImage', 'RootUser', 'JSONArgsRecommended']);
    expect(rules(`# check=skip=JSONArgsRecommended,RootUser\n${src}`)).toEqual(['MutableBaseImage']);
    expect(rules(src, { lint: { skip: ['MutableBaseImage'] } })).toEqual(['RootUser', 'JSONArgsRecommended']);
    expect(rules(`# check=skip=all\n${src}`)).toEqual([]);
  });
  it('# check=error=true turns a finding into an error', () => {
    const e = planError(
      '# check=error=true\nFROM alpine:3@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER app\nCMD x\n',
    );
    expect(e.code).toBe('LINT');
    expect(e.message).toMatch(/^Dockerfile:4:1: checking JSONArgsRecommended: /);
  });
  it('UndefinedArgInFrom, UndefinedVar (only when the base is known) and WorkdirRelativePath', () => {
    expect(rules('FROM img:$NOPE\nUSER u\n')).toContain('UndefinedArgInFrom');
    expect(rules('FROM scratch\nENV A=$NOPE\nUSER u\n')).toContain('UndefinedVar');
    expect(rules('FROM img:1\nENV A=$FROM_BASE\nUSER u\n')).not.toContain('UndefinedVar');
    expect(
      rules('FROM scratch\nWORKDIR rel\nWORKDIR rel2\nUSER u\n').filter((r) => r === 'WorkdirRelativePath'),
    ).toHaveLength(1);
  });
});

describe('heredoc bodies', () => {
  it('COPY bodies: unquoted delimiters expand (quotes stay), quoted ones do not, <<- strips tabs', () => {
    const src =
      "FROM scratch\nENV N=x\nCOPY <<EOF /f\n'$N' \"$N\" \\$N\nEOF\nCOPY <<'Q' /g\n$N\nQ\nCOPY <<-E /h\n\t$N\n\tE\nUSER u\n";
    const plan = createBuildPlan(src);
    const contents = plan.stages[0]?.instructions.flatMap((i) =>
      i.kind === 'COPY' ? i.heredocs.map((h) => h.content) : [],
    );
    expect(contents).toEqual(['\'x\' "x" $N\n', '$N\n', 'x\n']);
  });
});

describe('ONBUILD of a stage used as a base', () => {
  it('runs the triggers first and their COPY --from makes the source stage reachable', () => {
    const src = 'FROM a AS assets\nFROM b AS base\nONBUILD COPY --from=assets /x /x\nFROM base\nRUN y\n';
    const plan = createBuildPlan(src, { lint: false });
    expect([...plan.order].sort()).toEqual([0, 1, 2]);
    expect(plan.order[2]).toBe(2);
    expect(plan.stages[2]?.instructions.map((i) => [i.kind, i.origin, i.range.start.line])).toEqual([
      ['COPY', 'onbuild', 4],
      ['RUN', 'dockerfile', 5],
    ]);
    expect(plan.stages[2]?.dependencies.map((d) => `${d.kind} ${d.stage}`)).toEqual([
      'from 1',
      'copy-from 0',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { createBuildPlan } from './create-build-plan.js';
import { describePlan } from './describe-plan.js';
import { parseOnbuildTriggers } from './onbuild.js';

describe('describePlan', () => {
  it('prints order, stages with expanded instructions, skipped stages and warnings', () => {
    const src =
      'ARG V=1\nFROM alpine:3 AS build\nENV X=$V\nRUN --mount=type=cache,target=/c make\nFROM build AS unused\nFROM scratch\nCOPY --from=build /out /\nCMD ["/out"]\n';
    const text = describePlan(createBuildPlan(src, { buildArgs: { V: '2' } }));
    expect(text).toContain('build order: #0 build -> #2 (target #2)');
    expect(text).toContain('global args: V=2');
    expect(text).toContain('stage #1 unused FROM stage #0 build (skipped: not needed for the target)');
    expect(text).toContain('     4  RUN --mount=type=cache,target=/c make');
    expect(text).toContain('     7  COPY --from=build /out /');
    expect(text).toMatch(/\[RootUser\] The final stage sets no USER/);
  });
});

describe('parseOnbuildTriggers', () => {
  it('parses a base image config.OnBuild list', () => {
    expect(parseOnbuildTriggers(['COPY . /app', 'RUN make']).map((i) => i.kind)).toEqual(['COPY', 'RUN']);
    expect(parseOnbuildTriggers([])).toEqual([]);
  });
  it('rejects FROM, MAINTAINER and ONBUILD triggers', () => {
    expect(() => parseOnbuildTriggers(['FROM x'])).toThrow(/FROM isn't allowed as an ONBUILD trigger/);
    expect(() => parseOnbuildTriggers(['ONBUILD RUN x'])).toThrow(/ONBUILD isn't allowed/);
  });
});

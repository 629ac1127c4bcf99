import type { LintRule, LintWarning } from './types.js';

const rule = (id: string, family: LintRule['family'], description: string): LintRule => ({
  id,
  family,
  description,
});

/** Every check with its id and documentation. Disable with `lint.skip` or `# check=skip=<id>,…`. */
export const LINT_RULES: readonly LintRule[] = [
  rule(
    'NoEmptyContinuation',
    'parser',
    'Empty continuation lines will become errors in a future release: remove blank lines inside a `\\` continuation.',
  ),
  rule(
    'JSONArgsRecommended',
    'buildkit',
    'CMD and ENTRYPOINT in shell form run under /bin/sh -c, so the process does not receive OS signals; use the JSON (exec) form.',
  ),
  rule('StageNameCasing', 'buildkit', 'Stage names should be lowercase (`FROM image AS builder`).'),
  rule(
    'FromAsCasing',
    'buildkit',
    'The AS keyword should match the casing of FROM (`FROM x AS y` or `from x as y`).',
  ),
  rule(
    'UndefinedVar',
    'buildkit',
    'A variable is referenced that is not defined by ARG, ENV or the base image; it expands to an empty string.',
  ),
  rule(
    'UndefinedArgInFrom',
    'buildkit',
    'FROM references a variable that is not declared as a global ARG before the first FROM.',
  ),
  rule(
    'DuplicateStageName',
    'buildkit',
    'Two stages have the same name; stage references become ambiguous (this is also an error when planning).',
  ),
  rule('ReservedStageName', 'buildkit', 'A stage is named `scratch` or `context`, which are reserved.'),
  rule(
    'MaintainerDeprecated',
    'buildkit',
    'MAINTAINER is deprecated; use `LABEL org.opencontainers.image.authors=…`. It is planned as a `maintainer` label.',
  ),
  rule(
    'ConsistentInstructionCasing',
    'buildkit',
    'Instruction keywords should all be uppercase or all lowercase.',
  ),
  rule(
    'WorkdirRelativePath',
    'buildkit',
    'WORKDIR with a relative path depends on the previous working directory; use an absolute path.',
  ),
  rule(
    'MultipleInstructionsDisallowed',
    'buildkit',
    'Only the last CMD, ENTRYPOINT or HEALTHCHECK of a stage takes effect.',
  ),
  rule('LegacyKeyValueFormat', 'buildkit', '`ENV key value` / `LABEL key value` is legacy; use `key=value`.'),
  rule(
    'RedundantTargetPlatform',
    'buildkit',
    '`FROM --platform=$TARGETPLATFORM` is the default and redundant.',
  ),
  rule(
    'SecretsUsedInArgOrEnv',
    'buildkit',
    'ARG/ENV names that look like secrets (PASSWORD, TOKEN, SECRET, KEY, …) end up in the image history; use `RUN --mount=type=secret`.',
  ),
  rule(
    'InvalidDefaultArgInFrom',
    'buildkit',
    'With default ARG values the FROM reference expands to an invalid or empty image name.',
  ),
  rule('CopyIgnoredFile', 'buildkit', 'A COPY/ADD source is excluded by .dockerignore.'),
  rule('UnusedBuildArg', 'buildkit', 'A --build-arg was given that no ARG of the needed stages consumes.'),
  rule(
    'RootUser',
    'supply-chain',
    'The final stage runs as root (no USER, or USER root/0); run as an unprivileged user.',
  ),
  rule(
    'MutableBaseImage',
    'supply-chain',
    'A base image is referenced by a mutable tag (`latest` or no tag) instead of a digest (`@sha256:…`).',
  ),
  rule(
    'AddUrlWithoutChecksum',
    'supply-chain',
    'ADD downloads a URL without `--checksum=sha256:…`, so the content is not pinned.',
  ),
  rule(
    'CurlPipeShell',
    'supply-chain',
    'A RUN pipes a downloaded script into a shell (`curl … | sh`, `wget -O- … | bash`) without verifying it.',
  ),
];

const BY_ID = new Map(LINT_RULES.map((r) => [r.id, r]));

export function warning(id: string, message: string, line: number, column: number): LintWarning {
  const r = BY_ID.get(id);
  return { rule: id, message, line, column, description: r?.description ?? id };
}

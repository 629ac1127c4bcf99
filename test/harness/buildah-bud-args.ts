/**
 * The `buildah bud` arguments every comparison with Buildah shares: plain-HTTP registry, the
 * context's `Dockerfile`, a local tag, and `REGISTRY` (every corpus/bench Dockerfile starts with
 * `FROM ${REGISTRY}/base/…`). Callers add their own flags before (cache, format) and the context
 * after. Used by the peer bench (test/bench/build/runners.mjs); test/build/corpus-compare.ts
 * builds the same list by hand.
 */
export function buildahBudArgs(opts: { tag: string; registryHost: string }): string[] {
  return [
    '--tls-verify=false',
    '-f',
    'Dockerfile',
    '-t',
    opts.tag,
    '--build-arg',
    `REGISTRY=${opts.registryHost}`,
  ];
}

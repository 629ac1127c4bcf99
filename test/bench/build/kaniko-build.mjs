// One kaniko-ts build in a process of its own, so the parent measures its wall time and peak RSS the
// same way as buildah's. The parent passes one JSON argument:
//   node kaniko-build.mjs '{"context":…,"destination":…,"registryHost":…,"buildArgs":{…},"workDir":…}'
// Prints one JSON line: module load time, in-process build time (push included), where that time went
// (from the build's own events), the image digest and size, and which snapshotter the build chose.
const opts = JSON.parse(process.argv[2] ?? '{}');
const loadStarted = performance.now();
const { build } = await import('@kaniko-ts/builder');
const { RegistryClient } = await import('@kaniko-ts/registry');
const loadMs = performance.now() - loadStarted;
const client = new RegistryClient({ insecureRegistries: [opts.registryHost] });
try {
  const info = [];
  let firstStageAt;
  let lastInstructionEndAt;
  let cachedCount = 0;
  const started = performance.now();
  const since = () => performance.now() - started;
  const outcome = await build({
    context: opts.context,
    dockerfile: opts.dockerfile ?? 'Dockerfile',
    destinations: opts.destination ? [opts.destination] : [],
    push: opts.destination !== undefined,
    ...(opts.cacheDir ? { cache: true, cacheDir: opts.cacheDir } : {}),
    ...(opts.compression ? { compression: opts.compression } : {}),
    ...(opts.maxConcurrentStages ? { maxConcurrentStages: opts.maxConcurrentStages } : {}),
    buildArgs: opts.buildArgs ?? {},
    registry: client,
    workDir: opts.workDir,
    snapshotter: opts.snapshotter ?? 'auto',
    events: {
      info: (m) => info.push(m),
      stage: () => {
        firstStageAt ??= since();
      },
      instructionEnd: (e) => {
        lastInstructionEndAt = since();
        if (e.cached) cachedCount++;
      },
    },
  });
  const buildMs = since();
  console.log(
    JSON.stringify({
      loadMs,
      buildMs,
      // permission check, context, executor/snapshotter probes, base manifests and configs
      beforeStagesMs: firstStageAt,
      instructionsMs: outcome.timings.reduce((n, t) => n + t.durationMs, 0),
      // image assembly (digests of lazily compressed layers) and the push
      afterInstructionsMs: lastInstructionEndAt === undefined ? undefined : buildMs - lastInstructionEndAt,
      digest: outcome.digest,
      size: outcome.size,
      info,
      timings: outcome.timings.map((t) => ({ text: t.text, ms: Math.round(t.durationMs), layer: t.layer })),
      cached: cachedCount,
    }),
  );
} finally {
  await client.close();
}

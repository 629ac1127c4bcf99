import { arch, availableParallelism, platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { type AnyStep, anyStep, buildSpec, buildStep, defineStep, runBuild } from '@kaniko-ts/steps';
import { actionsBuildCache } from '../build-cache.js';
import {
  PRIVILEGED_BUILD_FLAG,
  privilegedCallBuild,
  servePrivilegedBuild,
  sudoWorks,
} from '../privileged-build.js';
import { runAction } from '../run-action.js';

/** Entry of actions/build (bundled by scripts/gen-bundles.mjs). */
const goArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

// libuv's thread pool (gzip blocks, inflating layers, file I/O) has 4 threads unless sized before its
// first use: one per core, so parallel gzip is not capped at 4 on bigger runners (here too for the
// build escalated through sudo, whose environment sudo resets)
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));

if (process.argv[2] === PRIVILEGED_BUILD_FLAG) {
  // started by the step below through `sudo -n`: one build as root, answered on stdout
  process.exitCode = await servePrivilegedBuild(process.stdin, process.stdout);
} else {
  const env = { ...process.env };
  const uid = process.getuid?.() ?? 0;
  // GitHub-hosted runners: a non-root user with passwordless sudo. Only the build engine is escalated.
  const step: AnyStep =
    uid !== 0 && (await sudoWorks(env))
      ? anyStep(
          defineStep(buildSpec, (ctx, inputs) =>
            runBuild(
              ctx,
              inputs,
              privilegedCallBuild({
                node: process.execPath,
                entry: fileURLToPath(import.meta.url),
                uid,
                gid: process.getgid?.() ?? 0,
              }),
            ),
          ),
        )
      : anyStep(buildStep);
  await runAction(step, {
    actions: core,
    env,
    hooks: actionsBuildCache(cache, `${platform()}/${goArch[arch()] ?? arch()}`),
  });
}

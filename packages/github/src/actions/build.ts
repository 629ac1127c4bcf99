import { arch, platform } from 'node:os';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { anyStep, buildStep } from '@kaniko-ts/steps';
import { actionsBuildCache } from '../build-cache.js';
import { runAction } from '../run-action.js';

/** Entry of actions/build (bundled by scripts/gen-bundles.mjs). */
const goArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
};
await runAction(anyStep(buildStep), {
  actions: core,
  env: { ...process.env },
  hooks: actionsBuildCache(cache, `${platform()}/${goArch[arch()] ?? arch()}`),
});

import * as core from '@actions/core';
import { anyStep, attestSbomStep } from '@kaniko-ts/steps';
import { runAction } from '../run-action.js';

/** Entry of actions/attest-sbom (bundled by scripts/gen-bundles.mjs). */
await runAction(anyStep(attestSbomStep), { actions: core, env: { ...process.env } });

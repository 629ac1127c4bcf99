import * as core from '@actions/core';
import { anyStep, verifyStep } from '@kaniko-ts/steps';
import { runAction } from '../run-action.js';

/** Entry of actions/verify (bundled by scripts/gen-bundles.mjs). */
await runAction(anyStep(verifyStep), { actions: core, env: { ...process.env } });

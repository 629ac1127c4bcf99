import * as core from '@actions/core';
import { anyStep, indexStep } from '@kaniko-ts/steps';
import { runAction } from '../run-action.js';

/** Entry of actions/index (bundled by scripts/gen-bundles.mjs). */
await runAction(anyStep(indexStep), { actions: core, env: { ...process.env } });

import * as core from '@actions/core';
import { anyStep, signStep } from '@kaniko-ts/steps';
import { runAction } from '../run-action.js';

/** Entry of actions/sign (bundled by scripts/gen-bundles.mjs). */
await runAction(anyStep(signStep), { actions: core, env: { ...process.env } });

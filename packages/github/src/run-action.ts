import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyStep, parseInputs, type StepContext } from '@kaniko-ts/steps';
import { type ActionsCore, createGithubContext, summaryMarkdown } from './github-context.js';
import { githubInputs } from './github-inputs.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Work done around a step (the build's layer cache). */
export interface ActionHooks {
  before?(ctx: StepContext, inputs: Record<string, unknown>): Promise<void>;
  after?(ctx: StepContext, inputs: Record<string, unknown>): Promise<void>;
}

/**
 * An action's main: read `INPUT_*`, mask secrets, run the step, set outputs (and `KANIKO_TS_*`
 * environment variables for later shell steps), write the job summary; on error, fail the step.
 * Returns true on success.
 */
export async function runAction(
  step: AnyStep,
  options: { actions: ActionsCore; env: Env; hooks?: ActionHooks },
): Promise<boolean> {
  const { actions, env } = options;
  const tempDir = await mkdtemp(join(env.RUNNER_TEMP ?? tmpdir(), `kaniko-ts-${step.spec.name}-`));
  const { ctx, sections } = createGithubContext(actions, env, tempDir);
  let ok = false;
  try {
    const parsed = parseInputs(step.spec, githubInputs(step.spec, env), env);
    for (const s of parsed.secrets) ctx.maskSecret(s);
    await options.hooks?.before?.(ctx, parsed.values);
    const outputs = await step.run(ctx, parsed.values);
    await options.hooks?.after?.(ctx, parsed.values);
    for (const [name, value] of Object.entries(outputs)) {
      actions.setOutput(name, value);
      const envName = step.spec.outputs[name]?.env;
      if (envName !== undefined && value !== '') actions.exportVariable(envName, value);
    }
    ok = true;
  } catch (error) {
    actions.setFailed(`${step.spec.name}: ${(error as Error).message}`);
  }
  if (sections.length > 0 && env.GITHUB_STEP_SUMMARY) {
    try {
      await actions.summary.addRaw(summaryMarkdown(step.spec.name, sections)).write();
    } catch (error) {
      actions.warning(`writing the job summary: ${(error as Error).message}`);
    }
  }
  return ok;
}

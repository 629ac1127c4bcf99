import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitlabInputs, mergeInputs } from '@kaniko-ts/gitlab';
import { type AnyStep, type IdentityProvider, parseInputs } from '@kaniko-ts/steps';
import { type CliStreams, createCliContext } from './cli-context.js';
import { commandSpecs } from './command-specs.js';
import { EXIT_CODES, exitCodeOf } from './exit-codes.js';
import { prepareGitlabAuth, writeGitlabOutputs } from './gitlab-job.js';
import { renderMainHelp, renderStepHelp } from './help.js';
import { parseArgv } from './parse-argv.js';
import { VERSION } from './version.js';

export interface MainOptions {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  streams: CliStreams;
  cwd: string;
  identity?: IdentityProvider;
  /** The commands (default: every step, loaded when its command runs); tests pass their own. */
  steps?: readonly AnyStep[];
}

export interface RunCliOptions extends MainOptions {
  /** The step behind a command that `steps` does not hold, loaded once it is about to run. */
  loadStep: (command: string) => Promise<AnyStep>;
}

/**
 * `kaniko-ts <command> [flags]`: parses, runs one step, prints its outputs; returns the exit code.
 * How a step is loaded is the caller's: `main` imports any step on demand (main.ts), the build
 * bundle holds the build step alone (build-main.ts).
 */
export async function runCli(options: RunCliOptions): Promise<number> {
  const { argv, streams } = options;
  const commands = options.steps ?? commandSpecs.map((spec) => ({ spec }));
  const [command, ...rest] = argv;
  if (command === undefined) {
    streams.stderr.write(renderMainHelp(commands));
    return EXIT_CODES.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    streams.stdout.write(renderMainHelp(commands));
    return EXIT_CODES.ok;
  }
  if (command === '--version' || command === 'version') {
    streams.stdout.write(`kaniko-ts ${VERSION}\n`);
    return EXIT_CODES.ok;
  }
  const spec = commands.find((c) => c.spec.name === command)?.spec;
  if (spec === undefined) {
    streams.stderr.write(
      `kaniko-ts: unknown command ${JSON.stringify(command)}\n\n${renderMainHelp(commands)}`,
    );
    return EXIT_CODES.usage;
  }
  let parsed: ReturnType<typeof parseArgv>;
  try {
    parsed = parseArgv(spec, rest);
  } catch (error) {
    streams.stderr.write(`kaniko-ts: ${(error as Error).message}\n`);
    return exitCodeOf(error);
  }
  if (parsed.global.help) {
    streams.stdout.write(renderStepHelp(spec));
    return EXIT_CODES.ok;
  }
  // A GitLab job: GitLab sets GITLAB_CI; the components also set KANIKO_TS_DOTENV (gitlab-ci-local
  // runs jobs with GITLAB_CI=false, and the component contract should not depend on it).
  const gitlab = options.env.GITLAB_CI === 'true' || options.env.KANIKO_TS_DOTENV !== undefined;
  const tempDir = await mkdtemp(join(options.env.RUNNER_TEMP ?? tmpdir(), `kaniko-ts-${spec.name}-`));
  const env = gitlab ? await prepareGitlabAuth(options.env, tempDir) : options.env;
  // In a GitLab job, files the step writes (SBOMs, signature bundles) go to the artifact directory;
  // the private temp dir (it holds the registry credentials) never becomes an artifact.
  const workDir = gitlab ? resolve(options.cwd, env.KANIKO_TS_ARTIFACT_DIR ?? 'kaniko-ts') : tempDir;
  if (gitlab) await mkdir(workDir, { recursive: true });
  const cli = createCliContext({
    streams,
    global: parsed.global,
    env,
    workspace: options.cwd,
    tempDir: workDir,
    gitlab,
    ...(options.identity ? { identity: options.identity } : {}),
  });
  try {
    const raw = gitlab ? mergeInputs(gitlabInputs(spec, env), parsed.inputs) : parsed.inputs;
    const inputs = parseInputs(spec, raw, env);
    for (const s of inputs.secrets) cli.ctx.maskSecret(s);
    // Only a command that runs loads its step and the libraries behind it (builder, sigstore, sbom…).
    const step = options.steps?.find((s) => s.spec === spec) ?? (await options.loadStep(command));
    const outputs = await step.run(cli.ctx, inputs.values);
    cli.close();
    cli.flushSummary();
    if (cli.format === 'json') streams.stdout.write(`${JSON.stringify({ outputs })}\n`);
    else
      for (const [k, v] of Object.entries(outputs))
        if (v !== '') streams.stdout.write(`${k}=${cli.redact(v)}\n`);
    if (gitlab) {
      const written = await writeGitlabOutputs(spec, outputs, env, options.cwd);
      cli.ctx.log.info(`wrote ${written.dotenvPath} and ${written.outputsPath}`);
    }
    return EXIT_CODES.ok;
  } catch (error) {
    const code = exitCodeOf(error);
    cli.ctx.log.error(`${spec.name} failed: ${(error as Error).message}`);
    if (code === EXIT_CODES.usage) streams.stderr.write(`see: kaniko-ts ${spec.name} --help\n`);
    return code;
  } finally {
    cli.close();
    // GitLab: step files went to the artifact directory and the temp dir holds the job's registry
    // credentials, so it goes. Elsewhere it is kept: outputs such as bundle-path point into it.
    if (gitlab) await rm(tempDir, { recursive: true, force: true }).catch(() => {});
  }
}

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyStep, allSteps, buildSpec, defineSpec, type StepSpec, StepsError } from '@kaniko-ts/steps';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../exit-codes.js';
import { renderStepHelp } from '../help.js';
import { main } from '../main.js';
import { parseArgv } from '../parse-argv.js';

function streams() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    streams: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s), isTTY: false },
    },
  };
}

/** A step whose run echoes its inputs, to test the CLI's plumbing without a library behind it. */
const echoSpec = defineSpec({
  name: 'echo',
  description: 'Echo inputs.',
  inputs: {
    image: { type: 'string', required: true, description: 'Image to echo.' },
    password: { type: 'secret', env: 'ECHO_PASSWORD', description: 'A secret that must never be printed.' },
    fail: {
      type: 'enum',
      options: ['no', 'verify', 'crash', 'unavailable'],
      default: 'no',
      description: 'How to fail.',
    },
  },
  outputs: {
    digest: { description: 'Digest echoed back.', env: 'KANIKO_TS_DIGEST' },
    'image-ref': { description: 'Reference echoed back.', env: 'KANIKO_TS_IMAGE_REF' },
    note: { description: 'Multi-line note, never in dotenv.' },
  },
});
const echo: AnyStep = {
  spec: echoSpec,
  run: (ctx, inputs) =>
    ctx.group('echo', async () => {
      ctx.log.info(`password is ${String(inputs.password)}`);
      if (inputs.fail === 'verify') throw new StepsError('VERIFICATION_FAILED', 'verifying: no signature');
      if (inputs.fail === 'crash') throw new Error('boom');
      if (inputs.fail === 'unavailable')
        throw new StepsError('NOT_AVAILABLE', 'echo is not available in this build yet');
      ctx.addSummary({ title: 'Echo', rows: [['image', String(inputs.image)]] });
      await writeFile(join(ctx.tempDir, 'echo.txt'), 'step file\n');
      return { digest: 'sha256:1', 'image-ref': `${inputs.image}@sha256:1`, note: 'a\nb' };
    }),
};

const run = async (argv: string[], env: Record<string, string> = {}, cwd = process.cwd()) => {
  const s = streams();
  const code = await main({ argv, env, streams: s.streams, cwd, steps: [echo, ...allSteps] });
  return { code, ...s.out };
};

describe('parseArgv', () => {
  it('accepts kaniko executor spellings', () => {
    const { inputs } = parseArgv(buildSpec, [
      '-c',
      'app',
      '--dockerfile=app/Containerfile',
      '-d',
      'r/a:1',
      '--destination',
      'r/a:2',
      '--no-push',
      '--build-arg',
      'A=1,2',
      '--custom-platform=linux/arm64',
      '--reproducible',
      '--cache=false',
      '--dryrun',
    ]);
    expect(inputs).toEqual({
      context: ['app'],
      file: ['app/Containerfile'],
      tags: ['r/a:1', 'r/a:2'],
      push: ['false'],
      'build-args': ['A=1,2'],
      platform: ['linux/arm64'],
      reproducible: ['true'],
      cache: ['false'],
      'dry-run': ['true'],
    });
  });

  it('reads global options anywhere and rejects unknown flags and stray arguments', () => {
    const parsed = parseArgv(buildSpec, ['--verbosity', 'debug', '--log-format=json', '-d', 'r/a']);
    expect(parsed.global).toMatchObject({ verbosity: 'debug', logFormat: 'json' });
    expect(() => parseArgv(buildSpec, ['--nope'])).toThrow(/unknown flag --nope/);
    expect(() => parseArgv(buildSpec, ['.'])).toThrow(/unexpected argument/);
    expect(() => parseArgv(buildSpec, ['--target'])).toThrow(/needs a value/);
    expect(() => parseArgv(buildSpec, ['--no-push=true'])).toThrow(/takes no value/);
    expect(() => parseArgv(buildSpec, ['--log-format', 'xml'])).toThrow(/one of auto, text, color, json/);
  });
});

describe('help', () => {
  it('lists every CLI input of a step by its flag, and the exit codes', () => {
    const help = renderStepHelp(buildSpec);
    for (const [name, input] of Object.entries(buildSpec.inputs as StepSpec['inputs'])) {
      expect(help).toMatch(new RegExp(`--(\\[no-\\])?${input.flag ?? name}\\b`));
    }
    expect(help).toContain('-d, --destination list');
    expect(help).toContain('--[no-]push');
    expect(help).toContain('KANIKO_REGISTRY_MIRROR');
    expect(help).toMatch(/ {2}3 +verify: the image is not signed/);
  });

  it('is printed for --help with status 0 and for no command with status 2', async () => {
    expect(await run(['build', '--help'])).toMatchObject({ code: 0 });
    expect((await run(['--help'])).stdout).toContain('attest-sbom');
    const none = await run([]);
    expect(none.code).toBe(EXIT_CODES.usage);
    expect(none.stderr).toContain('Usage: kaniko-ts <command>');
  });
});

describe('main', () => {
  it('prints outputs as name=value and masks secrets in logs', async () => {
    const r = await run(['echo', '--image', 'r/a', '--password', 'hunter22'], { CI: 'true' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('digest=sha256:1\nimage-ref=r/a@sha256:1\nnote=a\nb\n');
    expect(r.stderr).toContain('password is ***');
    expect(r.stderr).not.toContain('hunter22');
    expect(r.stderr).toContain('Echo');
  });

  it('emits JSON lines with --log-format json', async () => {
    const r = await run(['echo', '--image', 'r/a', '--log-format', 'json'], {
      ECHO_PASSWORD: 'from-env-secret',
    });
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logs.some((l) => l.level === 'info' && l.msg === 'password is ***')).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      outputs: { digest: 'sha256:1', 'image-ref': 'r/a@sha256:1', note: 'a\nb' },
    });
  });

  it('maps failures to documented exit codes', async () => {
    expect((await run(['nope'])).code).toBe(EXIT_CODES.usage);
    expect((await run(['echo'])).code).toBe(EXIT_CODES.usage);
    expect((await run(['echo', '--image', 'r/a', '--fail', 'verify'])).code).toBe(
      EXIT_CODES.verificationFailed,
    );
    expect((await run(['echo', '--image', 'r/a', '--fail', 'crash'])).code).toBe(EXIT_CODES.stepFailed);
    const na = await run(['echo', '--image', 'r/a', '--fail', 'unavailable']);
    expect(na.code).toBe(EXIT_CODES.notAvailable);
    expect(na.stderr).toContain('echo is not available in this build yet');
  });

  it('in a GitLab job: inputs from component variables, flags win, dotenv and JSON artifacts written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitlab-job-'));
    const env = {
      GITLAB_CI: 'true',
      CI: 'true',
      CI_PROJECT_DIR: dir,
      KANIKO_TS_DOTENV: 'kaniko-ts.env',
      KANIKO_TS_ARTIFACT_DIR: 'kaniko-ts',
      KANIKO_TS_DOTENV_SUFFIX: '_ARM64',
      KANIKO_TS_INPUT_IMAGE: '$CI_REGISTRY_IMAGE',
      KANIKO_TS_INPUT_FAIL: 'no',
      CI_REGISTRY_IMAGE: 'registry.example.com/g/app',
      CI_REGISTRY: 'registry.example.com',
      CI_JOB_TOKEN: 'job-token',
      HOME: dir,
    };
    const r = await run(['echo'], env, dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'kaniko-ts.env'), 'utf8')).toBe(
      'KANIKO_TS_DIGEST_ARM64=sha256:1\nKANIKO_TS_IMAGE_REF_ARM64=registry.example.com/g/app@sha256:1\n',
    );
    expect(JSON.parse(readFileSync(join(dir, 'kaniko-ts', 'echo_arm64-outputs.json'), 'utf8')).note).toBe(
      'a\nb',
    );
    const flagged = await run(
      ['echo', '--image', 'other/app'],
      { ...env, KANIKO_TS_DOTENV: 'second.env' },
      dir,
    );
    expect(flagged.code).toBe(0);
    expect(readFileSync(join(dir, 'second.env'), 'utf8')).toContain(
      'KANIKO_TS_IMAGE_REF_ARM64=other/app@sha256:1',
    );
    expect(r.stderr).toContain('section_start:');
    // Step files land in the artifact directory; the docker config with the job token does not.
    expect(readFileSync(join(dir, 'kaniko-ts', 'echo.txt'), 'utf8')).toBe('step file\n');
    expect(readdirSync(join(dir, 'kaniko-ts')).sort()).toEqual(['echo.txt', 'echo_arm64-outputs.json']);
    expect(existsSync(join(dir, 'kaniko-ts.env'))).toBe(true);
  });
});

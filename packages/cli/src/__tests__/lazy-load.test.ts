import { execFile, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allSteps } from '@kaniko-ts/steps';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../../../test/harness/index.js';
import { commandSpecs } from '../command-specs.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const node = join(repoRoot, 'node_modules', '.bin', 'node');

/** Records every file node loads (ESM hooks see each chunk the bundle imports) into $LOADED_LOG. */
const RECORDER = `
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
registerHooks({
  load(url, context, next) {
    if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n');
    return next(url, context);
  },
});
`;

describe('commandSpecs', () => {
  it('lists the same specs as allSteps, in the same order (the help and the commands agree)', () => {
    expect(commandSpecs.map((s) => s.name)).toEqual(allSteps.map((s) => s.spec.name));
    commandSpecs.forEach((spec, i) => {
      expect(spec).toBe(allSteps[i]?.spec);
    });
  });
});

describe('the bundled CLI loads a command only when it runs', () => {
  let work: string;
  let bundle: string;
  let recorder: string;
  /** Output files of the bundle holding sigstore or sbom code (from esbuild's metafile). */
  let heavy: Set<string>;
  /** The ES module files of the bundle: the entry and its chunks. */
  let esmChunks: Set<string>;
  /** The entry and the chunks it imports statically. */
  let entryChunks: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cli-lazy-'));
    bundle = join(work, 'cli', 'kaniko-ts.mjs');
    const meta = join(work, 'meta.json');
    await run([join(repoRoot, 'scripts', 'gen-bundles.mjs'), '--cli', bundle, '--metafile', meta]);
    const outputs = JSON.parse(readFileSync(meta, 'utf8')).outputs as Record<
      string,
      { inputs: Record<string, unknown>; imports?: { path: string; kind: string }[] }
    >;
    const holding = (pattern: RegExp) =>
      new Set(
        Object.entries(outputs)
          .filter(([, o]) => Object.keys(o.inputs).some((i) => pattern.test(i)))
          .map(([file]) => basename(file)),
      );
    heavy = holding(/packages\/(sigstore|sbom)\/src\/|node_modules\/@sigstore\//);
    esmChunks = new Set(
      Object.keys(outputs)
        .map((f) => basename(f))
        .filter((f) => f.endsWith('.mjs')),
    );
    // the entry and the chunks it imports statically: what every command loads
    const closure = (file: string): string[] => [
      basename(file),
      ...(outputs[file]?.imports ?? [])
        .filter((i) => i.kind === 'import-statement' && i.path.endsWith('.mjs'))
        .flatMap((i) => closure(i.path)),
    ];
    const entry = Object.keys(outputs).find((f) => basename(f) === 'kaniko-ts.mjs') as string;
    entryChunks = [...new Set(closure(entry))].sort();
    recorder = join(work, 'recorder.mjs');
    writeFileSync(recorder, RECORDER);
  }, 120_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs the bundle; returns its exit code and the bundle files it loaded. */
  const loaded = async (args: string[]) => {
    const log = join(work, `loaded-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(log, '');
    const r = await run(['--import', recorder, bundle, ...args], { LOADED_LOG: log });
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((u) => basename(fileURLToPath(u)));
    return { code: r.code, stdout: r.stdout, files };
  };

  it('the bundle has sigstore and sbom code in chunks of their own', () => {
    expect(heavy.size).toBeGreaterThan(0);
    expect(heavy.has('kaniko-ts.mjs')).toBe(false);
  });

  it('the build bundle is one CommonJS file beside the entry, and no command but build loads it', () => {
    expect(existsSync(join(work, 'cli', 'kaniko-ts-build.cjs'))).toBe(true);
    expect(esmChunks.has('kaniko-ts-build.cjs')).toBe(false);
  });

  it('`kaniko-ts build` runs from the build bundle: no chunk but the entry’s own is imported', async () => {
    const r = await loaded(['build', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--cache-dir');
    expect(entryChunks).toContain('kaniko-ts.mjs');
    expect(r.files.filter((f) => esmChunks.has(f)).sort()).toEqual(entryChunks);
  });

  it.each([['--version'], ['--help'], ['sign', '--help'], ['no-such-command']])(
    '`kaniko-ts %s` loads no sigstore or sbom chunk',
    async (...args) => {
      const r = await loaded(args);
      expect(r.files).toContain('kaniko-ts.mjs');
      expect(r.files.filter((f) => heavy.has(f))).toEqual([]);
      if (args[0] === '--version') expect(r.stdout).toBe('kaniko-ts 0.1.0\n');
    },
  );

  it('a command that runs does load them (so the recorder sees chunks)', async () => {
    const r = await loaded([
      'sign',
      '--image',
      `127.0.0.1:9/x@sha256:${'0'.repeat(64)}`,
      '--key',
      join(work, 'missing.key'),
    ]);
    expect(r.code).toBe(1);
    expect(r.files.filter((f) => heavy.has(f)).length).toBeGreaterThan(0);
  });

  it('build --cache-dir keeps the build bundle’s compiled code in <cache-dir>/node-compile-cache (none without it)', async () => {
    const cacheDir = join(work, 'cache-dir');
    const args = ['build', '--context', join(work, 'no-such-context'), '--no-push'];
    const without = await run([bundle, ...args]);
    expect(without.code).not.toBe(0);
    expect(existsSync(cacheDir)).toBe(false);
    const r = await run([bundle, ...args, '--cache', '--cache-dir', cacheDir]);
    expect(r.code).toBe(without.code);
    const files = readdirSync(join(cacheDir, 'node-compile-cache'));
    expect(files).toEqual([expect.stringMatching(/^kaniko-ts-build-[0-9a-f]+-\d+\.1\.v8$/)]);
  });

  it('a success that ends without node’s teardown (exec of /bin/true) loses no output and no compile cache', () => {
    const { NODE_OPTIONS: _, NODE_V8_COVERAGE: __, ...clean } = process.env;
    // output to files, as in `kaniko-ts build … > log`
    const exec = (name: string, env: NodeJS.ProcessEnv) => {
      const out = openSync(join(work, `${name}.out`), 'w');
      const err = openSync(join(work, `${name}.err`), 'w');
      const r = spawnSync(node, [bundle, 'build', '--help', '--cache-dir', join(work, name)], {
        env,
        stdio: ['ignore', out, err],
        timeout: 60_000,
      });
      closeSync(out);
      closeSync(err);
      const cached = readdirSync(join(work, name, 'node-compile-cache'), {
        recursive: true,
        withFileTypes: true,
      })
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
      return {
        code: r.status,
        stdout: readFileSync(join(work, `${name}.out`), 'utf8'),
        stderr: readFileSync(join(work, `${name}.err`), 'utf8'),
        cached,
      };
    };
    // NODE_OPTIONS set: the usual exit (see exit-without-teardown.ts), the reference
    const usual = exec('usual-exit', { ...clean, NODE_OPTIONS: '--no-warnings' });
    const fast = exec('fast-exit', clean);
    expect(usual.code).toBe(0);
    expect(fast.code, fast.stderr).toBe(0);
    expect(fast.stdout).toBe(usual.stdout);
    expect(fast.stdout).toContain('--cache-dir');
    expect(fast.stderr).toBe('');
    // what node compiled is in the cache as after a usual exit (which is where node writes it)
    expect(usual.cached).toEqual([expect.stringMatching(/^kaniko-ts-build-.*\.1\.v8$/)]);
    expect(fast.cached).toEqual(usual.cached);
  });

  it('a build against a plain-HTTP registry loads neither node:http2 nor node:tls (undici never uses them there), nor any chunk', async () => {
    const reg = harness().registries.plain;
    const ctx = join(work, 'http-only');
    rmSync(ctx, { recursive: true, force: true });
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${reg.bases.busybox.ref}\nENV A=1\n`);
    const modules = join(work, 'modules.txt');
    const preload = join(work, 'modules.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(modules)}, process.moduleLoadList.join('\\n')));`,
    );
    const log = join(work, 'http-only-loaded.txt');
    writeFileSync(log, '');
    const r = await run(
      [
        '--require',
        preload,
        '--import',
        recorder,
        bundle,
        'build',
        '--context',
        ctx,
        '--destination',
        `${reg.host}/cli-lazy/http-only:1`,
        '--insecure-registry',
        reg.host,
        '--cache',
        '--cache-dir',
        join(work, 'http-only-cache'),
      ],
      { LOADED_LOG: log },
    );
    expect(r.code, r.stderr).toBe(0);
    const loadedModules = readFileSync(modules, 'utf8').split('\n');
    expect(loadedModules).toContain('NativeModule http');
    expect(loadedModules.filter((m) => /^NativeModule (http2|tls)$/.test(m))).toEqual([]);
    // the build ran from the build bundle alone
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((u) => basename(fileURLToPath(u)));
    expect(files.filter((f) => esmChunks.has(f)).sort()).toEqual(entryChunks);
  });
});

/** Runs node with `args`; `env` is added to this process's environment, or is the whole of it (`only`). */
function run(args: string[], env: Record<string, string | undefined> = {}, only = false) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      node,
      args,
      { env: only ? env : { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

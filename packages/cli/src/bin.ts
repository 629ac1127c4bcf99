#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCachedScript } from './cached-script.js';
import { compileCacheDir } from './compile-cache.js';
import {
  executableIdentity,
  exitWithoutTeardown,
  processSurroundings,
  TRUE_PROGRAM,
} from './exit-without-teardown.js';
import { VERSION } from './version.js';

// `--version` answers from this module alone; `build` loads the build bundle where there is one, and
// everything else main.js (in the bundled CLI a chunk of its own, and the step a command runs another:
// see load-step.ts).
// The only place the CLI reads the process environment; everything below receives it as a record.
const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === 'version') {
  process.stdout.write(`kaniko-ts ${VERSION}\n`);
} else {
  const env = { ...process.env };
  // what /bin/true is now: an in-place build may replace it (see exit-without-teardown.ts)
  const trueAtStart = executableIdentity(TRUE_PROGRAM);
  // libuv's thread pool (gzip blocks, inflating layers, file I/O) has 4 threads unless sized before
  // its first use: one per core, so parallel gzip is not capped at 4 on bigger runners
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
  const compileCache = compileCacheDir(argv, process.cwd());
  // The bundled CLI runs `build` from its build bundle (`<entry name>-build.cjs` beside this file),
  // through a code cache that keeps what a whole build compiled (see cached-script.ts). Elsewhere (no
  // such file: the packages' own dist) and for other commands, main.js.
  const self = fileURLToPath(import.meta.url);
  const buildBundle = join(dirname(self), `${basename(self, extname(self))}-build.cjs`);
  const cached =
    argv[0] === 'build' && existsSync(buildBundle)
      ? loadCachedScript<typeof import('./main.js')>(buildBundle, compileCache)
      : undefined;
  // before main.js and the step's chunks load, so their compiled code is cached (see compile-cache.ts)
  if (cached === undefined && compileCache !== undefined) enableCompileCache?.(compileCache);
  const { main } = cached?.exports ?? (await import('./main.js'));
  process.once('SIGINT', () => process.exit(130));
  const code = await main({
    argv,
    env,
    streams: { stdout: process.stdout, stderr: process.stderr },
    cwd: process.cwd(),
  });
  process.exitCode = code;
  cached?.save();
  // the command is done (outputs written, temp dirs removed): a success skips node's teardown where
  // it safely can (see exit-without-teardown.ts); otherwise node exits as usual with `code`
  exitWithoutTeardown(code, processSurroundings(env, trueAtStart));
}

#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
import { availableParallelism } from 'node:os';
import { compileCacheDir } from './compile-cache.js';
import {
  executableIdentity,
  exitWithoutTeardown,
  processSurroundings,
  TRUE_PROGRAM,
} from './exit-without-teardown.js';
import { VERSION } from './version.js';

// `--version` answers from this module alone; everything else loads main.js (in the bundled CLI a chunk
// of its own, and the step a command runs another: see load-step.ts).
// The only place the CLI reads the process environment; everything below receives it as a record.
const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === 'version') {
  process.stdout.write(`kaniko-ts ${VERSION}\n`);
} else {
  // before main.js and the step's chunks load, so their compiled code is cached (see compile-cache.ts)
  const compileCache = compileCacheDir(argv, process.cwd());
  if (compileCache !== undefined) enableCompileCache?.(compileCache);
  const env = { ...process.env };
  // what /bin/true is now: an in-place build may replace it (see exit-without-teardown.ts)
  const trueAtStart = executableIdentity(TRUE_PROGRAM);
  // libuv's thread pool (gzip blocks, inflating layers, file I/O) has 4 threads unless sized before
  // its first use: one per core, so parallel gzip is not capped at 4 on bigger runners
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
  const { main } = await import('./main.js');
  process.once('SIGINT', () => process.exit(130));
  const code = await main({
    argv,
    env,
    streams: { stdout: process.stdout, stderr: process.stderr },
    cwd: process.cwd(),
  });
  process.exitCode = code;
  // the command is done (outputs written, temp dirs removed): a success skips node's teardown where
  // it safely can (see exit-without-teardown.ts); otherwise node exits as usual with `code`
  exitWithoutTeardown(code, processSurroundings(env, trueAtStart));
}

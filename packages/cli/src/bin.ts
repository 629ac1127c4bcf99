#!/usr/bin/env node
import { VERSION } from './version.js';

// `--version` answers from this module alone; everything else loads main.js (in the bundled CLI a chunk
// of its own, and the step a command runs another: see load-step.ts).
// The only place the CLI reads the process environment; everything below receives it as a record.
const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === 'version') {
  process.stdout.write(`kaniko-ts ${VERSION}\n`);
} else {
  const { main } = await import('./main.js');
  process.once('SIGINT', () => process.exit(130));
  process.exitCode = await main({
    argv,
    env: { ...process.env },
    streams: { stdout: process.stdout, stderr: process.stderr },
    cwd: process.cwd(),
  });
}

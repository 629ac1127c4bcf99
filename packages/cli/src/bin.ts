#!/usr/bin/env node
import { main } from './main.js';

// The only place the CLI reads the process environment; everything below receives it as a record.
process.once('SIGINT', () => process.exit(130));
process.exitCode = await main({
  argv: process.argv.slice(2),
  env: { ...process.env },
  streams: { stdout: process.stdout, stderr: process.stderr },
  cwd: process.cwd(),
});

// Shared measuring helpers for benchmarks: wall time (median of n), peak RSS of a child process, and
// tables with ratios against a baseline measured in the same run.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` `warmup` times unmeasured, then `runs` times, calling `before` (unmeasured) ahead of each.
 * Returns the median, min and max wall time in seconds and every sample.
 * @param {() => Promise<unknown>} fn
 * @param {{ runs?: number, warmup?: number, before?: (i: number) => Promise<unknown> }} [opts]
 */
export async function measureWallTime(fn, opts = {}) {
  const runs = opts.runs ?? 5;
  for (let i = 0; i < (opts.warmup ?? 0); i++) {
    await opts.before?.(-1 - i);
    await fn();
  }
  const samples = [];
  for (let i = 0; i < runs; i++) {
    await opts.before?.(i);
    const t = performance.now();
    await fn();
    samples.push((performance.now() - t) / 1000);
  }
  return summarize(samples);
}

/** @param {number[]} samples */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples };
}

/**
 * Runs a command and reports its wall time and peak resident set size. Uses GNU `/usr/bin/time`
 * (maximum RSS of the process and its waited-for children) when installed, otherwise polls the child's
 * VmHWM in /proc every 10 ms (the child alone). Throws when the command fails.
 * @param {string} file
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, rss?: 'time' | 'proc' }} [opts]
 * @returns {Promise<{ seconds: number, peakRssMiB: number, stdout: string, stderr: string, rssSource: string }>}
 */
export async function runMeasured(file, args, opts = {}) {
  const gnuTime = (opts.rss ?? (existsSync('/usr/bin/time') ? 'time' : 'proc')) === 'time';
  const dir = gnuTime ? await mkdtemp(join(tmpdir(), 'kaniko-ts-bench-')) : undefined;
  const timeFile = dir ? join(dir, 'time') : undefined;
  const [cmd, argv] = gnuTime ? ['/usr/bin/time', ['-f', '%M', '-o', timeFile, file, ...args]] : [file, args];
  const started = performance.now();
  const child = spawn(cmd, argv, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = [];
  const err = [];
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  let polledKiB = 0;
  const poll = gnuTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKiB = Math.max(polledKiB, Number(m[1]));
        } catch {
          // exited between polls
        }
      }, 10);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (poll) clearInterval(poll);
  const stdout = Buffer.concat(out).toString();
  const stderr = Buffer.concat(err).toString();
  let peakKiB = polledKiB;
  if (timeFile) {
    const text = await readFile(timeFile, 'utf8').catch(() => '');
    peakKiB = Number(text.trim().split('\n').pop()) || 0;
    await rm(dir, { recursive: true, force: true });
  }
  if (code !== 0)
    throw new Error(`${file} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-1000)}`);
  return {
    seconds,
    peakRssMiB: peakKiB / 1024,
    stdout,
    stderr,
    rssSource: gnuTime ? '/usr/bin/time' : '/proc VmHWM',
  };
}

/**
 * Prints a table of measured rows with each row's ratio to `baseline` (a row name).
 * @param {string} title
 * @param {{ name: string, seconds: number, min?: number, max?: number, peakRssMiB?: number }[]} rows
 * @param {string} [baseline]
 */
export function printRatioTable(title, rows, baseline = rows[0]?.name) {
  const base = rows.find((r) => r.name === baseline);
  const table = rows.map((r) => ({
    case: r.name,
    'median s': r.seconds.toFixed(3),
    'min–max s': r.min === undefined ? '' : `${r.min.toFixed(3)}–${r.max.toFixed(3)}`,
    'peak RSS MiB': r.peakRssMiB === undefined ? '' : r.peakRssMiB.toFixed(0),
    ratio: base ? `${(r.seconds / base.seconds).toFixed(2)}×` : '',
  }));
  printTable(`${title}\n(ratio: median time / median of "${baseline}")`, table);
}

/**
 * Prints rows of plain objects as an aligned text table.
 * @param {string} title
 * @param {Record<string, string>[]} rows
 */
export function printTable(title, rows) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(width[i]))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? '')));
}

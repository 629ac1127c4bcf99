import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Runs `fn` while holding an exclusive `flock` on `lockFile`, so that two test processes (two vitest
 * runs, a bench run) never build the same cache at once. The lock is held by a `flock … cat` child whose
 * stdin is this process: if this process dies, the pipe closes and the lock is released.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const holder = spawn('flock', ['--exclusive', lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  holder.stderr.on('data', (b: Buffer) => stderr.push(b));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', (e) => reject(new Error(`locking ${lockFile}: ${e.message}`, { cause: e })));
    holder.once('exit', (code) =>
      reject(
        new Error(`locking ${lockFile}: flock exited with ${code}: ${Buffer.concat(stderr).toString()}`),
      ),
    );
  });
  try {
    return await fn();
  } finally {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.stdin.end();
    await exited;
  }
}

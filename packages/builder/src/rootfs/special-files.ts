import { execFile } from 'node:child_process';
import { BuilderError } from '../builder-error.js';

/** Runs a host tool, turning "not installed" into a clear TOOL_MISSING error. */
export function runTool(tool: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new BuilderError(
            'TOOL_MISSING',
            `${what}: ${tool} is not installed (Debian package util-linux/coreutils)`,
            {
              cause: error,
            },
          ),
        );
        return;
      }
      reject(
        new BuilderError('EXTRACT_FAILED', `${what}: ${tool} failed: ${stderr.trim() || error.message}`, {
          cause: error,
        }),
      );
    });
  });
}

/**
 * Creates a device node or fifo. Node has no mknod(2); device nodes are rare in images (mostly
 * none, sometimes a few under /dev), so one `mknod` process per node (coreutils) is the simple,
 * dependable choice. The parent of `abs` must already be a resolved real directory.
 */
export async function makeSpecial(
  abs: string,
  type: 'char-device' | 'block-device' | 'fifo',
  major: number,
  minor: number,
  entry: string,
): Promise<void> {
  const args =
    type === 'fifo' ? [abs, 'p'] : [abs, type === 'char-device' ? 'c' : 'b', String(major), String(minor)];
  await runTool('mknod', ['-m', '600', '--', ...args], `creating ${type} ${entry}`);
}

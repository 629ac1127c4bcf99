import { spawn } from 'node:child_process';
import { BuilderError } from '../builder-error.js';

/** `cp -a` keeps hardlinks, xattrs, devices and ownership; reflinks where the file system has them. */
export function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-a', '--reflink=auto', `${from}/.`, to], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new BuilderError('ROOTFS_COPY_FAILED', `copying stage root file system: ${err.trim()}`)),
    );
  });
}

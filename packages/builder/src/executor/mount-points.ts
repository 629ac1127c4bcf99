import { lstat, mkdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { BuilderError } from '../builder-error.js';
import { RootResolver } from '../rootfs/root-resolver.js';
import { runTool } from '../rootfs/special-files.js';

interface Created {
  abs: string;
  dir: boolean;
}

/**
 * Creates, inside a root, the files and directories that mounts need (resolving symlinks inside
 * the root, so `/etc/resolv.conf -> /run/…` is mounted at the root's own target and never on the
 * host), and removes exactly what it created afterwards, restoring the parents' timestamps, so the
 * mount points do not leak into the layer.
 */
export class MountPoints {
  private readonly resolver: RootResolver;
  private readonly created: Created[] = [];
  private readonly parentTimes = new Map<string, bigint>();

  constructor(root: string) {
    this.resolver = new RootResolver(root);
  }

  private async remember(abs: string): Promise<void> {
    const parent = abs.slice(0, abs.lastIndexOf('/'));
    if (this.parentTimes.has(parent) || this.created.some((c) => c.abs === parent)) return;
    // a directory created to stay (the working directory) keeps its new timestamps
    const st = await stat(parent, { bigint: true });
    this.parentTimes.set(parent, st.mtimeNs);
  }

  /** Returns the host path where a mount of `kind` at `target` (inside the root) must go. */
  async ensure(target: string, kind: 'dir' | 'file', opts: { keep?: boolean } = {}): Promise<string> {
    const resolved = await this.resolver.resolve(target, { followFinal: true });
    if (resolved.rel === '') {
      throw new BuilderError('UNSAFE_PATH', `preparing mount ${target}: cannot mount over the root`);
    }
    const parts = resolved.rel.split('/');
    let rel = '';
    for (const [i, part] of parts.entries()) {
      rel = rel ? `${rel}/${part}` : part;
      const abs = this.resolver.abs(rel);
      const last = i === parts.length - 1;
      const st = await lstat(abs).catch(() => null);
      if (st) {
        if (!last && !st.isDirectory()) {
          throw new BuilderError('UNSAFE_PATH', `preparing mount ${target}: ${rel} is not a directory`);
        }
        if (last && (kind === 'dir') !== st.isDirectory()) {
          throw new BuilderError(
            'UNSAFE_PATH',
            `preparing mount ${target}: ${rel} exists and is not a ${kind}`,
          );
        }
        continue;
      }
      await this.remember(abs);
      if (last && kind === 'file') await writeFile(abs, '', { flag: 'wx', mode: 0o644 });
      else await mkdir(abs, { mode: 0o755 });
      if (!opts.keep) this.created.push({ abs, dir: !(last && kind === 'file') });
    }
    return resolved.abs;
  }

  /** Removes what was created (only if still empty), newest first, and restores parent mtimes. */
  async cleanup(): Promise<void> {
    for (const c of this.created.reverse()) {
      if (c.dir) await rmdir(c.abs).catch(() => undefined);
      else {
        const st = await lstat(c.abs).catch(() => null);
        if (st?.isFile() && st.size === 0) await unlink(c.abs).catch(() => undefined);
      }
    }
    this.created.length = 0;
    // exact to the nanosecond (Node's utimes takes float seconds), so a stat walk sees no change
    for (const [abs, ns] of this.parentTimes) {
      const stamp = `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
      await runTool('touch', ['-h', '-m', '-d', stamp, abs], `restoring the mtime of ${abs}`).catch(
        () => undefined,
      );
    }
    this.parentTimes.clear();
  }
}

import { cleanRelative } from '../rootfs/root-resolver.js';

/**
 * Paths (relative to the build root) that snapshots never record and whiteouts never touch: kernel
 * file systems and the files the executor bind-mounts over the root during a RUN.
 */
export const DEFAULT_IGNORED_PATHS: readonly string[] = Object.freeze([
  'proc',
  'sys',
  'dev',
  'etc/hosts',
  'etc/resolv.conf',
  'etc/hostname',
]);

/** `(rel) => boolean` matching each listed path and everything below it. */
export function ignoreMatcher(paths: readonly string[] = DEFAULT_IGNORED_PATHS): (rel: string) => boolean {
  const set = new Set(paths.map((p) => cleanRelative(p) ?? '').filter((p) => p !== ''));
  return (rel: string): boolean => {
    if (set.has(rel)) return true;
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1))
      if (set.has(rel.slice(0, i))) return true;
    return false;
  };
}

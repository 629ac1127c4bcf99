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

/**
 * Mount points listed in a `/proc/self/mountinfo` text (field 5, octal escapes such as `\040`
 * decoded), in the order the kernel lists them.
 */
export function parseMountInfo(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    if (point === undefined || point === '') continue;
    out.push(
      point.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))),
    );
  }
  return out;
}

/** Kernel and runtime directories an in-place build never snapshots, cleans or extracts into. */
export const IN_PLACE_SYSTEM_PATHS: readonly string[] = Object.freeze([
  '/proc',
  '/sys',
  '/dev',
  '/var/run',
  '/run',
]);

export interface InPlaceIgnoreInput {
  /** Text of `/proc/self/mountinfo`: every mount point but `/` is ignored (volumes, secrets, tokens). */
  mountInfo: string;
  /** Where the executor (CLI bundle, node) lives. */
  executorDirs: readonly string[];
  /** The workspace / build context directory. */
  workspace?: string;
  /** The build's own scratch directory. */
  workDir: string;
  /** `--ignore-path` entries. */
  extra?: readonly string[];
}

/**
 * The ignore list of an in-place (kaniko-mode) build, as absolute paths: the system directories,
 * every mount point but `/`, the executor's directories, the workspace, the work dir and the user's
 * `--ignore-path` entries. Nothing on it is snapshotted, deleted between stages or overwritten when
 * a base image is extracted over `/`.
 */
export function inPlaceIgnoredPaths(input: InPlaceIgnoreInput): string[] {
  const all = [
    ...IN_PLACE_SYSTEM_PATHS,
    ...parseMountInfo(input.mountInfo),
    ...input.executorDirs,
    ...(input.workspace ? [input.workspace] : []),
    input.workDir,
    ...(input.extra ?? []),
  ];
  const out = new Set<string>();
  for (const p of all) {
    const rel = cleanRelative(p);
    if (rel === null || rel === '') continue; // `/` itself (the build root) and climbing paths
    out.add(`/${rel}`);
  }
  return [...out].sort();
}

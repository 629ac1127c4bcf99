import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { hasWildcard, matchSegment } from './path-match.js';

/** A COPY/ADD source resolved to a path inside its source root. */
export interface SourceMatch {
  /** Root-relative path without a leading slash (`dir/file`), `''` for the root itself. */
  rel: string;
}

/**
 * Expands COPY/ADD source patterns against a source root (the build context or a stage's root file
 * system) the way BuildKit does: `filepath.Match` per path segment, dot files included; a wildcard
 * that matches nothing is allowed, a literal path that does not exist is an error.
 * `visible` hides paths (the context's .dockerignore); hidden paths neither match nor exist.
 */
export async function matchSources(
  root: string,
  patterns: readonly string[],
  visible: (rel: string) => boolean = () => true,
): Promise<SourceMatch[]> {
  const out: SourceMatch[] = [];
  for (const raw of patterns) {
    const clean = posix.normalize(`/${raw}`).slice(1).replace(/\/$/, '');
    if (!hasWildcard(clean)) {
      if (clean !== '' && !visible(clean)) throw notFound(raw);
      out.push({ rel: clean });
      continue;
    }
    const segments = clean.split('/');
    const matches = await walk(root, '', segments, visible);
    out.push(...matches.sort().map((rel) => ({ rel })));
  }
  return out;
}

async function walk(
  root: string,
  prefix: string,
  segments: string[],
  visible: (rel: string) => boolean,
): Promise<string[]> {
  const [head, ...rest] = segments;
  if (head === undefined) return [prefix];
  if (!hasWildcard(head)) {
    const rel = prefix ? `${prefix}/${head.replace(/\\(.)/g, '$1')}` : head.replace(/\\(.)/g, '$1');
    if (!visible(rel)) return [];
    return rest.length === 0 ? [rel] : walk(root, rel, rest, visible);
  }
  let names: string[];
  try {
    names = await readdir(join(root, prefix));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (!matchSegment(head, name)) continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    if (!visible(rel)) continue;
    if (rest.length === 0) out.push(rel);
    else out.push(...(await walk(root, rel, rest, visible)));
  }
  return out;
}

export function notFound(source: string): Error {
  return Object.assign(new Error(`"${source}": not found`), { code: 'ENOENT' });
}

import dockerignore from '@balena/dockerignore';

// CommonJS module whose typings declare `export default`; at run time the default import is the factory,
// which also carries itself as `.default`.
const ignore = dockerignore.default;

export interface IgnorePattern {
  /** Cleaned pattern (no leading `/`, `./` or `!`). */
  pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  exclusion: boolean;
  line: number;
}

export interface IgnoreMatcher {
  patterns: IgnorePattern[];
  /** Whether a context-relative path (`a/b.txt`, `/`-separated) is excluded from the build context. */
  ignores(path: string): boolean;
}

/** Go's path.Clean for `/`-separated paths. */
function clean(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/**
 * Reads `.dockerignore` text as Docker does (moby/patternmatcher + ignorefile): one pattern per line,
 * trimmed; `#` lines are comments; `!` re-includes (also below an excluded directory); patterns are
 * cleaned and a leading `/` dropped; `*` and `?` stay inside one path segment, `**` spans any number
 * of directories; a pattern that matches a directory excludes everything below it. Matching itself is
 * delegated to `@balena/dockerignore`, whose semantics we checked against Docker's (see tests).
 */
export function createIgnoreMatcher(text: string): IgnoreMatcher {
  const patterns: IgnorePattern[] = [];
  text.split('\n').forEach((raw, i) => {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
    }
    let pattern = clean(line);
    if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    if (pattern === '' || pattern === '.') return;
    patterns.push({ pattern, exclusion, line: i + 1 });
  });
  // no .dockerignore (or only comments): nothing is excluded, and each path skips the matcher
  // (a COPY's cache key asks once per context file: ~6 µs a call, 12 ms for 2,000 files)
  if (patterns.length === 0) return { patterns, ignores: () => false };
  const ig = ignore().add(patterns.map((p) => (p.exclusion ? `!${p.pattern}` : p.pattern)));
  return {
    patterns,
    ignores(path: string): boolean {
      const p = clean(path.replace(/\\/g, '/')).replace(/^\/+/, '');
      if (p === '.' || p === '') return false;
      return ig.ignores(p);
    },
  };
}

/** Docker looks for `<Dockerfile>.dockerignore` next to the Dockerfile first, then `.dockerignore`. */
export function ignoreFileCandidates(dockerfilePath: string): string[] {
  return [`${dockerfilePath}.dockerignore`, '.dockerignore'];
}

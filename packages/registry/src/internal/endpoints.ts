import { DOCKER_HUB, normalizeRegistry, Reference } from '../reference.js';

/** `registry[/path-prefix]` a reference is rewritten to. */
export interface MirrorTarget {
  readonly registry: string;
  readonly prefix: string;
}

/** Parses `host[:port][/prefix]`, e.g. `mirror.gcr.io` or `127.0.0.1:5000/dockerhub`. */
export function parseMirror(value: string): MirrorTarget {
  const trimmed = value.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { registry: normalizeRegistry(trimmed), prefix: '' };
  return { registry: normalizeRegistry(trimmed.slice(0, slash)), prefix: trimmed.slice(slash + 1) };
}

/**
 * Where to read `ref` from, in order: registry-map entries whose key matches the reference's
 * registry (or `registry/path` prefix), then docker.io mirrors, then the reference itself unless
 * `skipDefault` is set. Mirrors and maps apply to pulls only, as in kaniko.
 */
export function pullEndpoints(
  ref: Reference,
  maps: ReadonlyMap<string, readonly string[]>,
  skipDefault: boolean,
): Reference[] {
  const out: Reference[] = [];
  for (const [from, targets] of maps) {
    const key = parseMirror(from);
    const matchPrefix = key.prefix === '' ? '' : `${key.prefix}/`;
    if (key.registry !== ref.registry) continue;
    if (key.prefix !== '' && !ref.repository.startsWith(matchPrefix)) continue;
    const rest = ref.repository.slice(matchPrefix.length);
    for (const target of targets) {
      const mirror = parseMirror(target);
      const repository = mirror.prefix === '' ? rest : `${mirror.prefix}/${rest}`;
      out.push(new Reference(mirror.registry, repository, ref.tag, ref.digest));
    }
  }
  if (!skipDefault || out.length === 0) out.push(ref);
  return out;
}

/** Turns kaniko-style `--registry-mirror` values into registry-map entries for Docker Hub. */
export function mirrorsToMap(
  mirrors: readonly string[],
  maps: Readonly<Record<string, readonly string[]>>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [from, to] of Object.entries(maps)) {
    const key = parseMirror(from);
    const name = key.prefix === '' ? key.registry : `${key.registry}/${key.prefix}`;
    out.set(name, [...(out.get(name) ?? []), ...to]);
  }
  if (mirrors.length > 0) out.set(DOCKER_HUB, [...(out.get(DOCKER_HUB) ?? []), ...mirrors]);
  return out;
}

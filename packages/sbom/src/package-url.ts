import { SbomError } from './sbom-error.js';

/** The parts of a package URL (https://github.com/package-url/purl-spec). */
export interface PackageUrlParts {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers?: Readonly<Record<string, string | undefined>>;
  readonly subpath?: string;
}

const UNRESERVED = /[A-Za-z0-9.\-_~:]/;

/** Percent-encodes everything except `A–Z a–z 0–9 . - _ ~ :` (so `+` → `%2B`, `/` → `%2F`, `@` → `%40`). */
export function purlEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (UNRESERVED.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function normalizeName(type: string, name: string): string {
  switch (type) {
    case 'pypi':
      return name.toLowerCase().replace(/[-_.]+/g, '-');
    case 'deb':
    case 'apk':
    case 'npm':
      return name.toLowerCase();
    default:
      return name;
  }
}

function normalizeNamespace(type: string, namespace: string): string {
  return type === 'deb' || type === 'apk' || type === 'rpm' || type === 'npm'
    ? namespace.toLowerCase()
    : namespace;
}

/** Builds a canonical package URL string: type lower-cased, empty qualifiers dropped, keys sorted. */
export function formatPurl(parts: PackageUrlParts): string {
  const type = parts.type.toLowerCase();
  if (!/^[a-z][a-z0-9.+-]*$/.test(type))
    throw new SbomError('INVALID_PURL', `formatting purl: bad type ${parts.type}`);
  if (!parts.name) throw new SbomError('INVALID_PURL', `formatting purl: empty name for type ${type}`);
  let out = `pkg:${type}/`;
  if (parts.namespace) {
    const segments = normalizeNamespace(type, parts.namespace)
      .split('/')
      .filter((s) => s.length > 0);
    if (segments.length > 0) out += `${segments.map(purlEncode).join('/')}/`;
  }
  out += purlEncode(normalizeName(type, parts.name));
  if (parts.version) out += `@${purlEncode(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (qualifiers.length > 0) out += `?${qualifiers.map(([k, v]) => `${k}=${purlEncode(v)}`).join('&')}`;
  if (parts.subpath) {
    const segs = parts.subpath.split('/').filter((s) => s && s !== '.' && s !== '..');
    if (segs.length > 0) out += `#${segs.map(purlEncode).join('/')}`;
  }
  return out;
}

function decode(value: string, what: string, purl: string): string {
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new SbomError('INVALID_PURL', `parsing purl ${purl}: bad percent-encoding in ${what}`, { cause });
  }
}

/** Parses a package URL into decoded parts (type-specific name normalisation applied for pypi). */
export function parsePurl(purl: string): PackageUrlParts {
  if (!purl.startsWith('pkg:'))
    throw new SbomError('INVALID_PURL', `parsing purl ${purl}: missing pkg: scheme`);
  let rest = purl.slice(4).replace(/^\/+/, '');
  let subpath: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    subpath = rest
      .slice(hash + 1)
      .split('/')
      .filter((s) => s && s !== '.' && s !== '..')
      .map((s) => decode(s, 'subpath', purl))
      .join('/');
    rest = rest.slice(0, hash);
  }
  let qualifiers: Record<string, string> | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    qualifiers = {};
    for (const pair of rest.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SbomError('INVALID_PURL', `parsing purl ${purl}: bad qualifier ${pair}`);
      const key = pair.slice(0, eq).toLowerCase();
      if (!/^[a-z0-9._-]+$/.test(key))
        throw new SbomError('INVALID_PURL', `parsing purl ${purl}: bad qualifier key`);
      const value = decode(pair.slice(eq + 1), 'qualifier', purl);
      if (value) qualifiers[key] = value;
    }
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new SbomError('INVALID_PURL', `parsing purl ${purl}: missing type or name`);
  const type = rest.slice(0, slash).toLowerCase();
  if (!/^[a-z][a-z0-9.+-]*$/.test(type))
    throw new SbomError('INVALID_PURL', `parsing purl ${purl}: bad type`);
  let path = rest.slice(slash + 1).replace(/\/+$/, '');
  let version: string | undefined;
  const at = path.lastIndexOf('@');
  if (at >= 0 && at > path.lastIndexOf('/')) {
    version = decode(path.slice(at + 1), 'version', purl);
    path = path.slice(0, at);
  }
  const segments = path.split('/').filter((s) => s.length > 0);
  const rawName = segments.pop();
  if (!rawName) throw new SbomError('INVALID_PURL', `parsing purl ${purl}: missing name`);
  const name = normalizeName(type, decode(rawName, 'name', purl));
  const namespace =
    segments.length > 0
      ? normalizeNamespace(type, segments.map((s) => decode(s, 'namespace', purl)).join('/'))
      : undefined;
  return {
    type,
    name,
    ...(namespace ? { namespace } : {}),
    ...(version ? { version } : {}),
    ...(qualifiers && Object.keys(qualifiers).length > 0 ? { qualifiers } : {}),
    ...(subpath ? { subpath } : {}),
  };
}

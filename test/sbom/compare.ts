import { type PackageUrlParts, parsePurl } from '@kaniko-ts/sbom';

/** A package identity compared by parsed purl fields: type, namespace, name, version, selected qualifiers. */
export function purlKey(parts: PackageUrlParts, qualifiers: readonly string[] = []): string {
  // purl-spec type rules: pypi names are PEP 503-normalised, npm names lower case.
  const name =
    parts.type === 'pypi'
      ? parts.name.toLowerCase().replace(/[-_.]+/g, '-')
      : parts.type === 'npm'
        ? parts.name.toLowerCase()
        : parts.name;
  const q = qualifiers.map((k) => `${k}=${parts.qualifiers?.[k] ?? ''}`).join('&');
  return `${parts.type}|${parts.namespace ?? ''}|${name}|${parts.version ?? ''}|${q}`;
}

export interface Accuracy {
  readonly recall: number;
  readonly precision: number;
  readonly missing: string[];
  readonly extra: string[];
}

/** Recall and precision of `found` purls (parsed) against the expected identities. */
export function accuracy(
  found: readonly string[],
  expected: readonly PackageUrlParts[],
  qualifiers: readonly string[] = [],
): Accuracy {
  const want = new Set(expected.map((p) => purlKey(p, qualifiers)));
  const got = new Set(found.map((p) => purlKey(parsePurl(p), qualifiers)));
  const missing = [...want].filter((k) => !got.has(k)).sort();
  const extra = [...got].filter((k) => !want.has(k)).sort();
  return {
    recall: want.size === 0 ? 1 : (want.size - missing.length) / want.size,
    precision: got.size === 0 ? 1 : (got.size - extra.length) / got.size,
    missing,
    extra,
  };
}

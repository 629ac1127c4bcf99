/** A package as listed in an SBOM document (for policy conditions such as "no package named X"). */
export interface DocumentPackage {
  readonly name: string;
  readonly version?: string;
  readonly purl?: string;
}

type Json = Record<string, unknown>;

/**
 * Lists the packages of an SPDX 2.x JSON or CycloneDX JSON document (the described image, the OS
 * entry and the document root excluded). Unknown shapes give an empty list.
 */
export function documentPackages(doc: unknown): DocumentPackage[] {
  const d = (doc ?? {}) as Json;
  const out: DocumentPackage[] = [];
  if (typeof d.spdxVersion === 'string' && Array.isArray(d.packages)) {
    for (const p of d.packages as Json[]) {
      if (p.primaryPackagePurpose === 'CONTAINER' || p.primaryPackagePurpose === 'OPERATING_SYSTEM') continue;
      if (typeof p.name !== 'string') continue;
      const refs = Array.isArray(p.externalRefs) ? (p.externalRefs as Json[]) : [];
      const purl = refs.find((r) => r.referenceType === 'purl')?.referenceLocator;
      out.push({
        name: p.name,
        ...(typeof p.versionInfo === 'string' ? { version: p.versionInfo } : {}),
        ...(typeof purl === 'string' ? { purl } : {}),
      });
    }
  } else if (d.bomFormat === 'CycloneDX' && Array.isArray(d.components)) {
    const visit = (list: Json[]) => {
      for (const c of list) {
        if (c.type !== 'operating-system' && c.type !== 'container' && typeof c.name === 'string') {
          const name =
            typeof c.group === 'string' && c.group.startsWith('@') ? `${c.group}/${c.name}` : c.name;
          out.push({
            name,
            ...(typeof c.version === 'string' ? { version: c.version } : {}),
            ...(typeof c.purl === 'string' ? { purl: c.purl } : {}),
          });
        }
        if (Array.isArray(c.components)) visit(c.components as Json[]);
      }
    };
    visit(d.components as Json[]);
  }
  return out;
}

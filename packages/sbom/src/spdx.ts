import { imagePurl } from './image-purl.js';
import { inventoryFingerprint, shortHash, stableUuid } from './internal/stable-id.js';
import type { CatalogedPackage, Inventory, License } from './inventory.js';
import { isSpdxExpression } from './license.js';

export interface SpdxOptions {
  /** Creation time, injected for reproducibility (ISO 8601; rendered as `YYYY-MM-DDThh:mm:ssZ`). */
  readonly created: string | Date;
  /** Base URI of the document namespace (default `https://kaniko-ts.dev/spdxdocs`). */
  readonly namespaceBase?: string;
  /** Extra creators (`Organization: Example`), after the tool creator. */
  readonly creators?: readonly string[];
  /** Tool version in the `Tool:` creator (default 0.1.0). */
  readonly toolVersion?: string;
}

export interface SpdxDocument {
  readonly spdxVersion: 'SPDX-2.3';
  readonly dataLicense: 'CC0-1.0';
  readonly SPDXID: 'SPDXRef-DOCUMENT';
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] };
  readonly packages: readonly Record<string, unknown>[];
  readonly relationships: readonly {
    spdxElementId: string;
    relationshipType: string;
    relatedSpdxElement: string;
  }[];
  readonly hasExtractedLicensingInfos?: readonly { licenseId: string; extractedText: string; name: string }[];
}

export function isoSecond(value: string | Date): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** `SPDXRef-Package-<type>-<name>-<hash of purl>`: unique and stable for a purl. */
export function spdxPackageId(p: Pick<CatalogedPackage, 'type' | 'name' | 'purl'>): string {
  return `SPDXRef-Package-${p.type}-${idPart(p.name)}-${shortHash(p.purl)}`;
}

/** Name as users know it: npm `@scope/name`, Go module path, otherwise the package name. */
export function displayName(p: Pick<CatalogedPackage, 'type' | 'name' | 'namespace'>): string {
  return p.namespace && (p.type === 'npm' || p.type === 'golang') ? `${p.namespace}/${p.name}` : p.name;
}

const SOURCE_INFO: Record<string, string> = {
  'dpkg-db': 'acquired package info from DPKG DB',
  'apk-db': 'acquired package info from APK DB',
  'rpm-db': 'acquired package info from RPM DB',
  'npm-package': 'acquired package info from installed node module manifest file',
  'python-installed': 'acquired package info from installed python package manifest file',
  'go-module-binary': 'acquired package info from go module information',
  'cargo-auditable-binary': 'acquired package info from Rust cargo auditable binary',
  'java-archive': 'acquired package info from java archive',
};

/** Renders one package's licenses as a declared-license value, registering LicenseRefs as needed. */
function declared(licenses: readonly License[], refs: Map<string, string>): string {
  if (licenses.length === 0) return 'NOASSERTION';
  const parts = licenses.map((l) => {
    if ('expression' in l && isSpdxExpression(l.expression)) return l.expression;
    const text = 'expression' in l ? l.expression : l.name;
    let id = refs.get(text);
    if (!id) {
      id = `LicenseRef-${idPart(text).slice(0, 48)}-${shortHash(text).slice(0, 8)}`;
      refs.set(text, id);
    }
    return id;
  });
  return parts.length === 1 ? parts[0]! : parts.map((p) => (/\s/.test(p) ? `(${p})` : p)).join(' AND ');
}

/** SPDX 2.3 JSON document: the scanned image (or directory) as the described package, CONTAINS every package. */
export function toSpdx(inventory: Inventory, options: SpdxOptions): SpdxDocument {
  const created = isoSecond(options.created);
  const tool = `Tool: kaniko-ts-${options.toolVersion ?? '0.1.0'}`;
  const uuid = stableUuid(inventoryFingerprint(inventory, `spdx|${created}`));
  const { source } = inventory;
  const base = (options.namespaceBase ?? 'https://kaniko-ts.dev/spdxdocs').replace(/\/+$/, '');
  const rootId = source.kind === 'image' ? 'SPDXRef-Image' : 'SPDXRef-Directory';
  const rootPurl = imagePurl(source);
  const root: Record<string, unknown> = {
    SPDXID: rootId,
    name: source.name,
    ...(source.digest ? { versionInfo: source.digest } : {}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: source.kind === 'image' ? 'CONTAINER' : 'FILE',
    ...(source.digest?.startsWith('sha256:')
      ? { checksums: [{ algorithm: 'SHA256', checksumValue: source.digest.slice(7) }] }
      : {}),
    ...(rootPurl
      ? {
          externalRefs: [
            { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: rootPurl },
          ],
        }
      : {}),
    ...(inventory.layers.length > 0
      ? { comment: `layer diffIDs in order: ${inventory.layers.join(' ')}` }
      : {}),
  };
  const packages: Record<string, unknown>[] = [root];
  const relationships: SpdxDocument['relationships'][number][] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
  ];
  if (inventory.distro) {
    const d = inventory.distro;
    packages.push({
      SPDXID: 'SPDXRef-OperatingSystem',
      name: d.id,
      ...(d.versionId ? { versionInfo: d.versionId } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      ...(d.prettyName ? { description: d.prettyName } : {}),
    });
    relationships.push({
      spdxElementId: rootId,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: 'SPDXRef-OperatingSystem',
    });
  }
  const refs = new Map<string, string>();
  for (const p of inventory.packages) {
    const id = spdxPackageId(p);
    const externalRefs = [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
      ...p.cpes.map((c) => ({
        referenceCategory: 'SECURITY',
        referenceType: 'cpe23Type',
        referenceLocator: c,
      })),
    ];
    packages.push({
      SPDXID: id,
      name: displayName(p),
      versionInfo: p.version,
      supplier: 'NOASSERTION',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared(p.licenses, refs),
      copyrightText: 'NOASSERTION',
      sourceInfo: `${SOURCE_INFO[p.foundBy] ?? `acquired package info by ${p.foundBy}`}: ${p.evidence.join(', ')}`,
      primaryPackagePurpose: p.metadata.mainModule === 'true' ? 'APPLICATION' : 'LIBRARY',
      externalRefs,
      ...(p.layer
        ? {
            annotations: [
              {
                annotationDate: created,
                annotationType: 'OTHER',
                annotator: tool,
                comment: `layerDiffID: ${p.layer}`,
              },
            ],
          }
        : {}),
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  const extracted = [...refs.entries()]
    .map(([text, licenseId]) => ({ licenseId, extractedText: text, name: text }))
    .sort((a, b) => (a.licenseId < b.licenseId ? -1 : a.licenseId > b.licenseId ? 1 : 0));
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: source.digest && !source.name.includes('@') ? `${source.name}@${source.digest}` : source.name,
    documentNamespace: `${base}/${idPart(source.name).slice(0, 64)}-${uuid}`,
    creationInfo: { created, creators: [tool, ...(options.creators ?? [])] },
    packages,
    relationships,
    ...(extracted.length > 0 ? { hasExtractedLicensingInfos: extracted } : {}),
  };
}

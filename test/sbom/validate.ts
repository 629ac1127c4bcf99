import { Validation } from '@cyclonedx/cyclonedx-library';
import { parsePurl } from '@kaniko-ts/sbom';
import { Ajv } from 'ajv';
import parseExpression from 'spdx-expression-parse';
import { SPDX_23_SCHEMA } from './spdx-2.3-schema.js';

/**
 * CycloneDX strict JSON schema validation with the official library. A missing optional validator
 * dependency (ajv, ajv-formats, ajv-formats-draft2019) throws and so fails the calling test.
 */
export async function cycloneDxErrors(bom: unknown, version: '1.6' = '1.6'): Promise<string[]> {
  const validator = new Validation.JsonStrictValidator(version as never);
  const result = await validator.validate(JSON.stringify(bom));
  const errors = result === null ? [] : (result as unknown[]).map((e) => JSON.stringify(e));
  // Not schema-enforced: bom-refs unique, dependency refs resolve.
  const b = bom as {
    metadata?: { component?: { 'bom-ref'?: string } };
    components?: { 'bom-ref'?: string; purl?: string }[];
    dependencies?: { ref: string; dependsOn?: string[] }[];
  };
  const refs = new Map<string, number>();
  const add = (r: string | undefined) => r && refs.set(r, (refs.get(r) ?? 0) + 1);
  add(b.metadata?.component?.['bom-ref']);
  for (const c of b.components ?? []) add(c['bom-ref']);
  for (const [r, n] of refs) if (n > 1) errors.push(`duplicate bom-ref ${r}`);
  for (const d of b.dependencies ?? []) {
    for (const r of [d.ref, ...(d.dependsOn ?? [])])
      if (!refs.has(r)) errors.push(`dependency ref ${r} does not resolve`);
  }
  for (const c of b.components ?? []) {
    if (c.purl) {
      try {
        parsePurl(c.purl);
      } catch (e) {
        errors.push(`component purl ${c.purl}: ${(e as Error).message}`);
      }
    }
  }
  return errors;
}

const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;

function licenseOk(value: string, refs: Set<string>): boolean {
  if (value === 'NOASSERTION' || value === 'NONE') return true;
  try {
    const walk = (node: unknown): boolean => {
      const n = node as { license?: string; left?: unknown; right?: unknown };
      if (n.license) return !n.license.startsWith('LicenseRef-') || refs.has(n.license);
      return walk(n.left) && walk(n.right);
    };
    return walk(parseExpression(value));
  } catch {
    return false;
  }
}

/** SPDX 2.3 JSON schema validation plus the semantic rules the schema cannot express. */
export function spdxErrors(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(SPDX_23_SCHEMA);
  const errors: string[] = [];
  if (!validate(doc)) errors.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  const d = doc as {
    SPDXID: string;
    documentNamespace?: string;
    creationInfo?: { created?: string };
    packages?: {
      SPDXID: string;
      licenseDeclared?: string;
      licenseConcluded?: string;
      externalRefs?: { referenceType: string; referenceLocator: string }[];
    }[];
    relationships?: { spdxElementId: string; relatedSpdxElement: string; relationshipType: string }[];
    hasExtractedLicensingInfos?: { licenseId: string }[];
  };
  try {
    const ns = new URL(d.documentNamespace ?? '');
    if (ns.hash || d.documentNamespace?.includes('#')) errors.push('documentNamespace contains #');
  } catch {
    errors.push(`documentNamespace ${d.documentNamespace} is not an absolute URI`);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(d.creationInfo?.created ?? ''))
    errors.push('created is not YYYY-MM-DDThh:mm:ssZ');
  const ids = new Set<string>([d.SPDXID]);
  for (const p of d.packages ?? []) {
    if (!SPDX_ID.test(p.SPDXID)) errors.push(`bad SPDXID ${p.SPDXID}`);
    if (ids.has(p.SPDXID)) errors.push(`duplicate SPDXID ${p.SPDXID}`);
    ids.add(p.SPDXID);
  }
  const refs = new Set((d.hasExtractedLicensingInfos ?? []).map((e) => e.licenseId));
  for (const p of d.packages ?? []) {
    for (const f of ['licenseDeclared', 'licenseConcluded'] as const) {
      const v = p[f];
      if (v !== undefined && !licenseOk(v, refs))
        errors.push(`${p.SPDXID} ${f} ${v} is not a valid license expression`);
    }
    for (const r of p.externalRefs ?? []) {
      if (r.referenceType !== 'purl') continue;
      try {
        parsePurl(r.referenceLocator);
      } catch (e) {
        errors.push(`${p.SPDXID} purl: ${(e as Error).message}`);
      }
    }
  }
  let describes = false;
  for (const r of d.relationships ?? []) {
    if (!ids.has(r.spdxElementId)) errors.push(`relationship source ${r.spdxElementId} does not exist`);
    if (!ids.has(r.relatedSpdxElement))
      errors.push(`relationship target ${r.relatedSpdxElement} does not exist`);
    if (r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES') describes = true;
  }
  if (!describes) errors.push('no DESCRIBES relationship from SPDXRef-DOCUMENT');
  return errors;
}

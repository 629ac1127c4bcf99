import { imagePurl } from './image-purl.js';
import { inventoryFingerprint, stableUuid } from './internal/stable-id.js';
import type { CatalogedPackage, Inventory, License } from './inventory.js';
import { isSpdxExpression } from './license.js';
import { isoSecond } from './spdx.js';

export interface CycloneDxOptions {
  /** BOM timestamp, injected for reproducibility. */
  readonly created: string | Date;
  readonly toolVersion?: string;
}

type Json = Record<string, unknown>;

const SINGLE_ID = /^[A-Za-z0-9.+-]+$/;

function licenses(list: readonly License[]): Json[] | undefined {
  if (list.length === 0) return undefined;
  const valid = list.every((l) => 'expression' in l && isSpdxExpression(l.expression));
  if (valid) {
    const exprs = list.map((l) => (l as { expression: string }).expression);
    if (exprs.length === 1 && SINGLE_ID.test(exprs[0]!) && !exprs[0]!.endsWith('+'))
      return [{ license: { id: exprs[0] } }];
    return [
      { expression: exprs.map((e) => (/\s/.test(e) && exprs.length > 1 ? `(${e})` : e)).join(' AND ') },
    ];
  }
  return list.map((l) => ({ license: { name: 'expression' in l ? l.expression : l.name } }));
}

function component(p: CatalogedPackage): Json {
  const properties: { name: string; value: string }[] = [
    { name: 'kaniko-ts:package:foundBy', value: p.foundBy },
  ];
  if (p.layer) properties.push({ name: 'kaniko-ts:layer:diffID', value: p.layer });
  for (const e of p.evidence) properties.push({ name: 'kaniko-ts:location:path', value: e });
  for (const [k, v] of Object.entries(p.metadata))
    properties.push({ name: `kaniko-ts:metadata:${k}`, value: v });
  const lic = licenses(p.licenses);
  return {
    'bom-ref': p.purl,
    type: p.metadata.mainModule === 'true' ? 'application' : 'library',
    ...(p.namespace ? { group: p.namespace } : {}),
    name: p.name,
    version: p.version,
    ...(lic ? { licenses: lic } : {}),
    ...(p.cpes[0] ? { cpe: p.cpes[0] } : {}),
    purl: p.purl,
    properties,
    evidence: { occurrences: p.evidence.map((location) => ({ location })) },
  };
}

/** CycloneDX 1.6 JSON: image as `metadata.component` (type container) with layer properties. */
export function toCycloneDx(inventory: Inventory, options: CycloneDxOptions): Json {
  const timestamp = isoSecond(options.created);
  const { source } = inventory;
  const rootPurl = imagePurl(source);
  const rootRef = rootPurl ?? `kaniko-ts:${source.kind}:${source.name}`;
  const layerProps = inventory.layers.map((l, i) => ({
    name: `kaniko-ts:image:layer:${i}:diffID`,
    value: l,
  }));
  const components: Json[] = [];
  const refs: string[] = [];
  if (inventory.distro) {
    const d = inventory.distro;
    const ref = `kaniko-ts:os:${d.id}${d.versionId ? `@${d.versionId}` : ''}`;
    refs.push(ref);
    components.push({
      'bom-ref': ref,
      type: 'operating-system',
      name: d.id,
      ...(d.versionId ? { version: d.versionId } : {}),
      ...(d.prettyName ? { description: d.prettyName } : {}),
      properties: [{ name: 'kaniko-ts:distro:source', value: d.source }],
    });
  }
  for (const p of inventory.packages) {
    components.push(component(p));
    refs.push(p.purl);
  }
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${stableUuid(inventoryFingerprint(inventory, `cyclonedx|${timestamp}`))}`,
    version: 1,
    metadata: {
      timestamp,
      tools: {
        components: [{ type: 'application', name: 'kaniko-ts', version: options.toolVersion ?? '0.1.0' }],
      },
      component: {
        'bom-ref': rootRef,
        type: source.kind === 'image' ? 'container' : 'file',
        name: source.name,
        ...(source.digest ? { version: source.digest } : {}),
        ...(source.digest?.startsWith('sha256:')
          ? { hashes: [{ alg: 'SHA-256', content: source.digest.slice(7) }] }
          : {}),
        ...(rootPurl ? { purl: rootPurl } : {}),
        ...(layerProps.length > 0 ? { properties: layerProps } : {}),
      },
    },
    components,
    dependencies: [{ ref: rootRef, dependsOn: refs }],
  };
}

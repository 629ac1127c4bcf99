import type { ObjectIdentifierValuePair } from '@sigstore/protobuf-specs';

/**
 * Fulcio certificate extensions (sigstore/fulcio `docs/oid-info.md`), named as cosign names them.
 * OIDs 1.1–1.6 hold raw strings (deprecated, still issued for GitHub); 1.8 and up hold DER UTF8Strings.
 */
export const FULCIO_EXTENSION_OIDS = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerURI: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepositoryOwnerURI: '1.3.6.1.4.1.57264.1.16',
  sourceRepositoryOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigURI: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationURI: '1.3.6.1.4.1.57264.1.21',
  sourceRepositoryVisibilityAtSigning: '1.3.6.1.4.1.57264.1.22',
  deploymentEnvironment: '1.3.6.1.4.1.57264.1.23',
} as const;

export type FulcioExtensionName = keyof typeof FULCIO_EXTENSION_OIDS;
export type FulcioExtensions = Partial<Record<FulcioExtensionName, string>>;

const RAW_OIDS = new Set<string>([
  FULCIO_EXTENSION_OIDS.issuerV1,
  FULCIO_EXTENSION_OIDS.githubWorkflowTrigger,
  FULCIO_EXTENSION_OIDS.githubWorkflowSha,
  FULCIO_EXTENSION_OIDS.githubWorkflowName,
  FULCIO_EXTENSION_OIDS.githubWorkflowRepository,
  FULCIO_EXTENSION_OIDS.githubWorkflowRef,
]);

/** Decodes a DER UTF8String (tag 0x0c); `undefined` when the bytes are not one. */
function derUtf8String(value: Uint8Array): string | undefined {
  if (value.length < 2 || value[0] !== 0x0c) return undefined;
  let length = value[1] ?? 0;
  let offset = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 3 || value.length < 2 + n) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | (value[2 + i] ?? 0);
    offset = 2 + n;
  }
  if (offset + length !== value.length) return undefined;
  return Buffer.from(value.subarray(offset)).toString('utf8');
}

/** Reads the Fulcio extensions out of the OID/value pairs sigstore-js returns for a signer. */
export function decodeFulcioExtensions(oids: readonly ObjectIdentifierValuePair[]): FulcioExtensions {
  const byOid = new Map<string, Uint8Array>();
  for (const pair of oids) byOid.set(pair.oid?.id.join('.') ?? '', pair.value);
  const out: FulcioExtensions = {};
  for (const [name, oid] of Object.entries(FULCIO_EXTENSION_OIDS) as [FulcioExtensionName, string][]) {
    const value = byOid.get(oid);
    if (!value) continue;
    const text = RAW_OIDS.has(oid) ? Buffer.from(value).toString('utf8') : derUtf8String(value);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

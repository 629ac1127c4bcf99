import type { TransparencyLogEntry } from '@sigstore/bundle';
import { goJson } from './internal/go-json.js';
import { SigstoreError } from './sigstore-error.js';

/** Layer annotation keys of cosign's legacy `.sig` / `.att` manifests. */
export const CosignAnnotation = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'predicateType',
} as const;

/** cosign's `RekorBundle`: the log's promise (SET) and the entry it covers. */
export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

/** The `dev.sigstore.cosign/bundle` value for a Rekor v1 entry; `undefined` without an inclusion promise. */
export function rekorBundleAnnotation(entry: TransparencyLogEntry): string | undefined {
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (!set?.length) return undefined;
  return goJson({
    SignedEntryTimestamp: Buffer.from(set).toString('base64'),
    Payload: {
      body: Buffer.from(entry.canonicalizedBody).toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId?.keyId ?? []).toString('hex'),
    },
  });
}

/** The `dev.sigstore.cosign/rfc3161timestamp` value for a DER `TimeStampResp`. */
export function timestampAnnotation(der: Uint8Array): string {
  return goJson({ SignedRFC3161Timestamp: Buffer.from(der).toString('base64') });
}

export function parseRekorBundle(text: string): RekorBundle {
  try {
    const v = JSON.parse(text) as RekorBundle;
    const p = v.Payload;
    if (
      typeof v.SignedEntryTimestamp === 'string' &&
      typeof p?.body === 'string' &&
      typeof p.logID === 'string'
    ) {
      return v;
    }
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'parsing cosign rekor bundle annotation: not JSON', { cause });
  }
  throw new SigstoreError('BUNDLE_INVALID', 'parsing cosign rekor bundle annotation: missing fields');
}

export function parseTimestampAnnotation(text: string): Buffer {
  try {
    const v = JSON.parse(text) as { SignedRFC3161Timestamp?: unknown };
    if (typeof v.SignedRFC3161Timestamp === 'string') return Buffer.from(v.SignedRFC3161Timestamp, 'base64');
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'parsing cosign timestamp annotation: not JSON', { cause });
  }
  throw new SigstoreError(
    'BUNDLE_INVALID',
    'parsing cosign timestamp annotation: missing SignedRFC3161Timestamp',
  );
}

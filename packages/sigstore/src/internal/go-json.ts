import type { Descriptor } from '@kaniko-ts/oci';

/**
 * JSON exactly as Go's `encoding/json` writes it for the given (already Go-ordered) value: compact,
 * with `<`, `>`, `&`, U+2028 and U+2029 escaped. Map keys must be sorted by the caller
 * ({@link sortedRecord}); struct field order is the object's key order.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A Go `map[string]string` as `encoding/json` orders it: keys sorted bytewise. */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    out[key] = record[key] as T;
  }
  return out;
}

/** A descriptor in go-containerregistry's `v1.Descriptor` field order (size before digest). */
export function goDescriptor(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.data !== undefined) out.data = d.data;
  if (d.urls?.length) out.urls = d.urls;
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = sortedRecord(d.annotations);
  if (d.platform) out.platform = d.platform;
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

import { createHash } from 'node:crypto';
import type { Inventory } from '../inventory.js';

/** Lower-case UUID (RFC 9562 version 8 layout) derived from the sha256 of `text`. */
export function stableUuid(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Digest of everything a document is built from, so equal inventories give equal ids. */
export function inventoryFingerprint(inventory: Inventory, extra: string): string {
  return JSON.stringify([
    extra,
    inventory.source,
    inventory.distro ?? null,
    inventory.layers,
    inventory.packages.map((p) => [p.purl, p.layer ?? null, p.evidence, p.licenses]),
  ]);
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

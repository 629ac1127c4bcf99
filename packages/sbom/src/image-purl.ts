import type { InventorySource } from './inventory.js';
import { formatPurl } from './package-url.js';

/** `pkg:oci/<last repository segment>@sha256:…?arch=…&repository_url=…` for an image source. */
export function imagePurl(source: InventorySource): string | undefined {
  if (source.kind !== 'image' || !source.digest) return undefined;
  const repository = source.repository ?? source.name.replace(/[@:][^/]*$/, '');
  const name = repository.slice(repository.lastIndexOf('/') + 1) || 'image';
  return formatPurl({
    type: 'oci',
    name,
    version: source.digest,
    qualifiers: {
      arch: source.architecture,
      repository_url: repository.includes('/') ? repository : undefined,
    },
  });
}

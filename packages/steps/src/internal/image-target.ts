import type { RegistryClient } from '@kaniko-ts/registry';
import type { ImageTarget } from '@kaniko-ts/sigstore';

/**
 * The image a sign/attest/verify step works on: `oci:<dir>[:tag|@digest]` names an entry of an OCI
 * image layout on disk (what `build --oci-layout-path` writes), anything else a registry reference.
 */
export function imageTargetOf(image: string, registry: RegistryClient): ImageTarget {
  if (!image.startsWith('oci:')) return { registry, reference: image };
  const rest = image.slice(4);
  const at = rest.indexOf('@');
  if (at >= 0) return { layout: rest.slice(0, at), digest: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { layout: rest.slice(0, colon), tag: rest.slice(colon + 1) };
  return { layout: rest };
}

import {
  type Descriptor,
  type Digest,
  digestHex,
  type ImageManifest,
  MediaType,
  parseDigest,
  sha256,
} from '@kaniko-ts/oci';
import { CosignAnnotation } from './cosign-annotations.js';
import { goDescriptor, goJson } from './internal/go-json.js';
import type { LegacyLayer } from './legacy-layers.js';
import { SigstoreError } from './sigstore-error.js';

export type LegacySuffix = 'sig' | 'att' | 'sbom';

/** cosign's tag for signatures/attestations of `digest`: `sha256-<hex>.<suffix>`. */
export function legacyTag(digest: string, suffix: LegacySuffix): string {
  const d = parseDigest(digest);
  return `${d.slice(0, d.indexOf(':'))}-${digestHex(d)}.${suffix}`;
}

/** A manifest ready to push, with its exact bytes and the blobs it references. */
export interface ArtifactManifest {
  manifest: ImageManifest;
  bytes: Uint8Array;
  digest: Digest;
  /** config and layer blobs by digest */
  blobs: Map<Digest, Uint8Array>;
}

interface GoHistory {
  author?: string;
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function goHistory(h: GoHistory): GoHistory {
  const out: GoHistory = {};
  if (h.author) out.author = h.author;
  out.created = h.created ?? ZERO_TIME;
  if (h.created_by) out.created_by = h.created_by;
  if (h.comment) out.comment = h.comment;
  if (h.empty_layer) out.empty_layer = true;
  return out;
}

/**
 * The config go-containerregistry generates for cosign's signature image: empty architecture/OS,
 * zero `created` (unless the existing config recorded one), one history entry and one diff ID per layer.
 */
function signatureConfig(
  existing: { created?: string; history?: GoHistory[]; diffIds?: string[] },
  added: LegacyLayer[],
): Uint8Array {
  const history = [...(existing.history ?? []), ...added.map(() => ({}))].map(goHistory);
  const diffIds = [...(existing.diffIds ?? []), ...added.map((l) => l.descriptor.digest)];
  return Buffer.from(
    goJson({
      architecture: '',
      created: existing.created ?? ZERO_TIME,
      history,
      os: '',
      rootfs: { type: 'layers', diff_ids: diffIds },
      config: {},
    }),
  );
}

function parseExistingConfig(bytes: Uint8Array | undefined) {
  if (!bytes) return {};
  try {
    const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      created?: string;
      history?: GoHistory[];
      rootfs?: { diff_ids?: string[] };
    };
    return { created: c.created, history: c.history, diffIds: c.rootfs?.diff_ids };
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'reading existing signature config: not JSON', { cause });
  }
}

function sameSignature(a: Descriptor, b: Descriptor): boolean {
  return (
    a.digest === b.digest &&
    (a.annotations?.[CosignAnnotation.signature] ?? '') ===
      (b.annotations?.[CosignAnnotation.signature] ?? '') &&
    (a.annotations?.[CosignAnnotation.certificate] ?? '') ===
      (b.annotations?.[CosignAnnotation.certificate] ?? '')
  );
}

/**
 * cosign's legacy `.sig`/`.att` manifest after appending `layers` to `existing` (read-modify-write,
 * as cosign does; a layer identical to one already present is not appended twice). Serialized as
 * go-containerregistry does: OCI manifest, OCI config, descriptors in `v1.Descriptor` order,
 * annotations sorted. The returned blobs are the config and the new layers.
 */
export function legacySignatureManifest(
  layers: LegacyLayer[],
  existing?: { manifest: ImageManifest; config?: Uint8Array },
): ArtifactManifest {
  const prior = existing?.manifest.layers ?? [];
  const added = layers.filter((l) => !prior.some((p) => sameSignature(p, l.descriptor)));
  if (prior.length + added.length > 1000) {
    throw new SigstoreError('STORAGE_FAILED', 'appending signature: more than 1000 layers in one manifest');
  }
  const existingConfig = parseExistingConfig(existing?.config);
  if (existing && !existingConfig.diffIds) existingConfig.diffIds = prior.map((l) => l.digest);
  const config = signatureConfig(existingConfig, added);
  const configDescriptor: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: sha256(config),
    size: config.length,
  };
  const allLayers = [...prior, ...added.map((l) => l.descriptor)];
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configDescriptor,
    layers: allLayers,
  };
  const bytes = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: goDescriptor(configDescriptor),
      layers: allLayers.map(goDescriptor),
    }),
  );
  const blobs = new Map<Digest, Uint8Array>([[configDescriptor.digest, config]]);
  for (const l of added) blobs.set(l.descriptor.digest, l.blob);
  return { manifest, bytes, digest: sha256(bytes), blobs };
}

import { cleanDescriptor, type Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';
import type { Image } from './image.js';
import { type ImageIndex, indexFromParts, isImageIndex } from './image-index.js';
import { lazyIndex } from './internal/lazy.js';
import type { ImageIndexManifest } from './manifest.js';
import { isConfigMediaType, MediaType, type MediaTypeFamily } from './media-types.js';
import { type Platform, type PlatformJson, toPlatformJson } from './platform.js';

/** One child of an index, with optional descriptor extras. */
export interface IndexEntry {
  manifest: Image | ImageIndex;
  /** Default for images: taken from the image config (os, architecture, variant, os.version). */
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** Options of `buildIndex`. */
export interface BuildIndexOptions {
  /** `oci` (default) or `docker` (manifest list). */
  mediaTypes?: MediaTypeFamily;
  annotations?: Record<string, string>;
  artifactType?: string;
  subject?: Descriptor;
}

async function platformOf(image: Image): Promise<PlatformJson | undefined> {
  if (!isConfigMediaType((await image.configDescriptor()).mediaType)) return undefined;
  const c = await image.config();
  if (!c.os || !c.architecture) return undefined;
  const p: PlatformJson = { architecture: c.architecture, os: c.os };
  if (c['os.version']) p['os.version'] = c['os.version'];
  if (c['os.features']?.length) p['os.features'] = c['os.features'];
  if (c.variant) p.variant = c.variant;
  return p;
}

async function describe(entry: IndexEntry | Image | ImageIndex): Promise<[Descriptor, Image | ImageIndex]> {
  const e: IndexEntry =
    typeof (entry as Image).manifest === 'function' ? { manifest: entry as Image } : (entry as IndexEntry);
  const d = cleanDescriptor(await e.manifest.descriptor());
  const platform = e.platform
    ? toPlatformJson(e.platform)
    : isImageIndex(e.manifest)
      ? undefined
      : await platformOf(e.manifest);
  if (platform) d.platform = platform;
  if (e.annotations) d.annotations = { ...d.annotations, ...e.annotations };
  return [d, e.manifest];
}

/**
 * Appends manifests to an index (e.g. the per-platform images of a multi-arch build). Image entries
 * get their platform from their config unless one is given. Existing entries are kept; children of
 * `index` are still loaded through it.
 */
export function appendManifests(
  index: ImageIndex,
  entries: Array<IndexEntry | Image | ImageIndex>,
): ImageIndex {
  return lazyIndex(index.mediaType, async () => {
    const base = await index.manifest();
    const added = await Promise.all(entries.map(describe));
    const children = new Map<Digest, Image | ImageIndex>(added.map(([d, m]) => [d.digest, m]));
    const manifest: ImageIndexManifest = {
      ...base,
      manifests: [...base.manifests, ...added.map(([d]) => d)],
    };
    return indexFromParts({
      manifest,
      children: async (d) => {
        const own = children.get(d.digest);
        if (own) return own;
        return d.mediaType === MediaType.ociIndex || d.mediaType === MediaType.dockerManifestList
          ? index.index(d)
          : index.image(d);
      },
    });
  });
}

/** A new index over `entries` (images or nested indexes). */
export function buildIndex(
  entries: Array<IndexEntry | Image | ImageIndex>,
  opts: BuildIndexOptions = {},
): ImageIndex {
  const mediaType = opts.mediaTypes === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex;
  return lazyIndex(mediaType, async () => {
    const added = await Promise.all(entries.map(describe));
    const manifest: ImageIndexManifest = { schemaVersion: 2, mediaType, manifests: added.map(([d]) => d) };
    if (opts.artifactType) manifest.artifactType = opts.artifactType;
    if (opts.subject) manifest.subject = cleanDescriptor(opts.subject);
    if (opts.annotations) manifest.annotations = { ...opts.annotations };
    return indexFromParts({ manifest, children: new Map(added.map(([d, m]) => [d.digest, m])) });
  });
}

import type { Image } from '../image.js';
import type { ImageIndex } from '../image-index.js';
import { once } from './once.js';

/** An image whose parts are computed on first use (memoized per view). */
export function lazyImage(mediaType: string, load: () => Promise<Image>): Image {
  const get = once(load);
  return {
    mediaType,
    manifest: async () => (await get()).manifest(),
    rawManifest: async () => (await get()).rawManifest(),
    digest: async () => (await get()).digest(),
    descriptor: async () => (await get()).descriptor(),
    config: async () => (await get()).config(),
    rawConfig: async () => (await get()).rawConfig(),
    configDescriptor: async () => (await get()).configDescriptor(),
    layers: async () => (await get()).layers(),
  };
}

/** An index whose manifest is computed on first use. */
export function lazyIndex(mediaType: string, load: () => Promise<ImageIndex>): ImageIndex {
  const get = once(load);
  return {
    mediaType,
    manifest: async () => (await get()).manifest(),
    rawManifest: async () => (await get()).rawManifest(),
    digest: async () => (await get()).digest(),
    descriptor: async () => (await get()).descriptor(),
    image: async (ref) => (await get()).image(ref),
    index: async (ref) => (await get()).index(ref),
  };
}

import type { Image } from '@kaniko-ts/oci';
import { type CatalogOptions, catalogLayers, type InventoryWithWarnings } from './catalog.js';

export interface CatalogImageOptions extends CatalogOptions {
  /** Image reference shown in documents (`registry.example.com/team/app:1.0`). */
  readonly name: string;
  /** Repository without tag/digest, for the image purl; derived from `name` when absent. */
  readonly repository?: string;
  readonly maxRetainedSize?: number;
}

/**
 * Inventories an `@kaniko-ts/oci` image: streams each layer's uncompressed tar once, in order, and
 * attributes every package to the layer that first introduced it.
 */
export async function catalogImage(
  image: Image,
  options: CatalogImageOptions,
): Promise<InventoryWithWarnings> {
  const [config, digest, layers] = await Promise.all([image.config(), image.digest(), image.layers()]);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const tars = await Promise.all(
    layers.map(async (layer, i) => ({
      diffId: diffIds[i] ?? (await layer.diffId()),
      open: () => layer.uncompressed(),
    })),
  );
  const repository = options.repository ?? options.name.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  return catalogLayers(tars, {
    ...(options.catalogers ? { catalogers: options.catalogers } : {}),
    ...(options.maxRetainedSize ? { maxRetainedSize: options.maxRetainedSize } : {}),
    source: {
      name: options.name,
      digest,
      repository,
      ...(config.architecture ? { architecture: config.architecture } : {}),
    },
  });
}

import { pipeline } from 'node:stream/promises';
import { digestStream, sha256, verifyingStream } from './digest.js';
import type { Image } from './image.js';
import { parseImageConfig } from './image-config.js';
import { type ImageIndex, isImageIndex } from './image-index.js';
import { isConfigMediaType, isIndexMediaType, isLayerMediaType } from './media-types.js';
import { OciError } from './oci-error.js';

async function drain(src: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of src);
}

/**
 * Checks that an image is internally consistent, reading every blob: manifest digest and size,
 * config digest and size, each layer's stored digest/size and uncompressed diffID against
 * `rootfs.diff_ids`, diffID count equal to layer count, and history entries for each layer.
 * Throws `OciError('INVALID_IMAGE')` listing every problem found (blob read errors included).
 */
export async function validateImage(image: Image): Promise<void> {
  const problems: string[] = [];
  const raw = await image.rawManifest();
  const manifest = await image.manifest();
  const digest = await image.digest();
  if (digest !== sha256(raw)) problems.push(`manifest digest ${digest} is not the sha256 of its bytes`);
  const desc = await image.descriptor();
  if (desc.size !== raw.byteLength)
    problems.push(`descriptor size ${desc.size} != manifest size ${raw.byteLength}`);
  if ((manifest.mediaType ?? image.mediaType) !== image.mediaType) {
    problems.push(`manifest mediaType ${manifest.mediaType} != view mediaType ${image.mediaType}`);
  }
  let diffIds: string[] | undefined;
  try {
    const rawConfig = await image.rawConfig();
    if (sha256(rawConfig) !== manifest.config.digest) problems.push('config digest mismatch');
    if (rawConfig.byteLength !== manifest.config.size) problems.push('config size mismatch');
    if (isConfigMediaType(manifest.config.mediaType)) {
      const config = parseImageConfig(rawConfig);
      diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) {
        problems.push(`config has ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
      }
      const history = config.history ?? [];
      const nonEmpty = history.filter((h) => !h.empty_layer).length;
      if (history.length > 0 && nonEmpty !== manifest.layers.length) {
        problems.push(`history has ${nonEmpty} non-empty entries for ${manifest.layers.length} layers`);
      }
    }
  } catch (e) {
    problems.push(`config: ${(e as Error).message}`);
  }
  const layers = await image.layers();
  if (layers.length !== manifest.layers.length) {
    problems.push(`image has ${layers.length} layer views for ${manifest.layers.length} manifest layers`);
  }
  for (const [i, layer] of layers.entries()) {
    const d = layer.descriptor();
    const m = manifest.layers[i];
    if (!m || m.digest !== d.digest || m.size !== d.size || m.mediaType !== d.mediaType) {
      problems.push(`layer ${i}: view descriptor does not match the manifest`);
    }
    try {
      await pipeline(await layer.compressed(), verifyingStream(d.digest, d.size, `layer ${i}`), drain);
      if (diffIds && isLayerMediaType(d.mediaType)) {
        const hash = digestStream();
        await pipeline(await layer.uncompressed(), hash, drain);
        const actual = hash.result().digest;
        if (actual !== diffIds[i])
          problems.push(`layer ${i}: uncompressed digest ${actual} != diff_id ${diffIds[i]}`);
        const claimed = await layer.diffId();
        if (claimed !== actual) problems.push(`layer ${i}: diffId() ${claimed} != content ${actual}`);
        if (layer.uncompressedSize) {
          const size = await layer.uncompressedSize();
          if (size !== hash.result().size) problems.push(`layer ${i}: uncompressedSize() ${size} is wrong`);
        }
      }
    } catch (e) {
      problems.push(`layer ${i} (${d.digest}): ${(e as Error).message}`);
    }
  }
  if (problems.length) {
    throw new OciError('INVALID_IMAGE', `validating image ${digest}: ${problems.join('; ')}`);
  }
}

/** Validates an index and, recursively, every child it lists. Throws `INVALID_IMAGE`. */
export async function validateIndex(index: ImageIndex): Promise<void> {
  const problems: string[] = [];
  const raw = await index.rawManifest();
  const digest = await index.digest();
  if (digest !== sha256(raw)) problems.push(`index digest ${digest} is not the sha256 of its bytes`);
  for (const d of (await index.manifest()).manifests) {
    try {
      const child = isIndexMediaType(d.mediaType) ? await index.index(d) : await index.image(d);
      const cd = await child.descriptor();
      if (cd.digest !== d.digest || cd.size !== d.size)
        problems.push(`child ${d.digest}: descriptor mismatch`);
      if (isImageIndex(child)) await validateIndex(child);
      else await validateImage(child);
    } catch (e) {
      problems.push(`child ${d.digest}: ${(e as Error).message}`);
    }
  }
  if (problems.length)
    throw new OciError('INVALID_IMAGE', `validating index ${digest}: ${problems.join('; ')}`);
}

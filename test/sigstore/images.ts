import { type Digest, randomImage } from '@kaniko-ts/oci';
import type { RegistryClient } from '@kaniko-ts/registry';

/** Pushes a small deterministic image (different `seed`, different digest) and returns its digest. */
export async function pushTestImage(client: RegistryClient, ref: string, seed: number): Promise<Digest> {
  const image = await randomImage({ layers: 1, sizePerLayer: 512, seed });
  return client.pushImage(ref, image);
}

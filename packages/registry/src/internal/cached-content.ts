import { type Digest, sha256 } from '@kaniko-ts/oci';
import { type ClientContext, recordBlobLocation } from './context.js';

/** Objects larger than this are neither read from nor written to the content cache (manifests are ≤ 4 MiB). */
const MAX_CACHED_BYTES = 4 * 1024 * 1024;

/**
 * The bytes the client's content cache holds for a sha256 `digest`, hashed here: bytes that do not
 * match (a damaged or tampered cache) are ignored, so the caller fetches them from the registry and
 * the fresh copy replaces them. Read errors count as a miss.
 */
export async function readCached(
  ctx: ClientContext,
  digest: string,
  what: string,
): Promise<Uint8Array | undefined> {
  const cache = ctx.contentCache;
  if (cache === undefined || !digest.startsWith('sha256:')) return undefined;
  let bytes: Uint8Array | undefined;
  try {
    bytes = await cache.get(digest as Digest);
  } catch (error) {
    ctx.log('debug', `reading ${what} ${digest} from the content cache: ${(error as Error).message}`);
    return undefined;
  }
  if (bytes === undefined) return undefined;
  if (bytes.byteLength > MAX_CACHED_BYTES || sha256(bytes) !== digest) {
    ctx.log('warn', `content cache: ${what} ${digest} does not match its digest; fetching it again`);
    return undefined;
  }
  return bytes;
}

/**
 * Stores bytes fetched from a registry under their sha256 digest, in the background: the caller
 * does not wait (`RegistryClient.close()` does). Bytes that do not hash to `digest` are not stored;
 * failures are only logged (the cache is an optimisation).
 */
export function storeCached(ctx: ClientContext, digest: string, bytes: Uint8Array, what: string): void {
  const cache = ctx.contentCache;
  if (cache === undefined || !digest.startsWith('sha256:') || bytes.byteLength > MAX_CACHED_BYTES) return;
  if (sha256(bytes) !== digest) return;
  const write = cache
    .put(digest as Digest, bytes)
    .catch((error: unknown) =>
      ctx.log('debug', `storing ${what} ${digest} in the content cache: ${(error as Error).message}`),
    );
  ctx.cacheWrites.add(write);
  void write.then(() => ctx.cacheWrites.delete(write));
}

/**
 * Blobs at least this big have their repositories remembered in the content cache, for mounts by
 * later runs: a smaller blob uploads in about the time a mount takes.
 */
export const REMEMBERED_BLOB_BYTES = 1024 * 1024;

/** Adds the repositories the content cache remembers for `digest` to the ones this client knows. */
export async function loadBlobLocations(ctx: ClientContext, digest: string): Promise<void> {
  const cache = ctx.contentCache;
  if (cache?.blobLocations === undefined || !digest.startsWith('sha256:')) return;
  let names: string[];
  try {
    names = await cache.blobLocations(digest as Digest);
  } catch (error) {
    ctx.log(
      'debug',
      `reading where blob ${digest} was pushed from the content cache: ${(error as Error).message}`,
    );
    return;
  }
  for (const name of names) recordBlobLocation(ctx, name, digest);
}

/** Remembers in the content cache, in the background, that `name` (`host/repo`) holds `digest`. */
export function storeBlobLocation(ctx: ClientContext, name: string, digest: string): void {
  const cache = ctx.contentCache;
  if (cache?.addBlobLocation === undefined || !digest.startsWith('sha256:')) return;
  const write = cache
    .addBlobLocation(digest as Digest, name)
    .catch((error: unknown) =>
      ctx.log('debug', `recording where blob ${digest} was pushed: ${(error as Error).message}`),
    );
  ctx.cacheWrites.add(write);
  void write.then(() => ctx.cacheWrites.delete(write));
}

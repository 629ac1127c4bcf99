import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '@kaniko-ts/oci';

/**
 * Small content-addressed registry objects kept between runs: image configs and manifests fetched
 * by digest. A name (tag) is never looked up here, only a digest, so what is read back is exactly
 * what the registry served for it. The client hashes every read itself (a cache is a directory
 * anyone could write to): bytes that do not match their digest are ignored and fetched again.
 */
export interface ContentCache {
  /** The bytes stored under `digest`, or undefined when there are none. */
  get(digest: Digest): Promise<Uint8Array | undefined>;
  /** Stores bytes the client has just verified against `digest`. */
  put(digest: Digest, bytes: Uint8Array): Promise<void>;
}

/**
 * A `ContentCache` in a directory: `<dir>/sha256/<hex>`, each file written to `<dir>/tmp/` and
 * renamed into place, so a reader never sees half a file and two writers of one digest both leave a
 * complete one. Digests other than sha256 are neither stored nor found.
 */
export function directoryContentCache(dir: string): ContentCache {
  const path = (digest: Digest): string | undefined => {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    return hex === undefined ? undefined : join(dir, 'sha256', hex);
  };
  return {
    async get(digest) {
      const file = path(digest);
      if (file === undefined) return undefined;
      return readFile(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw error;
      });
    },
    async put(digest, bytes) {
      const file = path(digest);
      if (file === undefined) return;
      const tmp = join(dir, 'tmp', `${randomBytes(8).toString('hex')}`);
      await Promise.all([
        mkdir(join(dir, 'tmp'), { recursive: true }),
        mkdir(join(dir, 'sha256'), { recursive: true }),
      ]);
      try {
        await writeFile(tmp, bytes);
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    },
  };
}

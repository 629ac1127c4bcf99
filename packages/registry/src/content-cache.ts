import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
  /**
   * Repositories (`host/repo`) that an earlier client of this cache pushed the blob `digest` to,
   * newest first: where a later push to another repository of the same registry can mount it from.
   * Only a hint: the registry mounts a blob only from a repository that holds it (and the pusher may
   * read), and otherwise opens an ordinary upload.
   */
  blobLocations?(digest: Digest): Promise<string[]>;
  /** Records that the repository `name` (`host/repo`) now holds the blob `digest`. */
  addBlobLocation?(digest: Digest, name: string): Promise<void>;
}

/** A `host/repo` line of a locations file. */
const REPOSITORY_NAME = /^[^\s/]+\/[^\s]+$/;

/** Repositories remembered per blob: the newest few are enough to find one to mount from. */
const MAX_LOCATIONS = 8;

/**
 * A `ContentCache` in a directory: `<dir>/sha256/<hex>` for bytes and `<dir>/locations/<hex>` for
 * the repositories a blob was pushed to (one per line), each file written to `<dir>/tmp/` and
 * renamed into place, so a reader never sees half a file and two writers of one digest both leave a
 * complete one. Digests other than sha256 are neither stored nor found.
 */
export function directoryContentCache(dir: string): ContentCache {
  /** `<dir>/<kind>/<hex>` of a sha256 digest; undefined for any other digest. */
  const fileOf = (kind: 'sha256' | 'locations', digest: Digest): string | undefined => {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    return hex === undefined ? undefined : join(dir, kind, hex);
  };
  const path = (digest: Digest) => fileOf('sha256', digest);
  const locationsFile = (digest: Digest) => fileOf('locations', digest);
  const readLocations = async (file: string): Promise<string[]> => {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return '';
      throw error;
    });
    // one `host/repo` a line; anything else (a damaged file) is skipped
    return text.split('\n').filter((l) => REPOSITORY_NAME.test(l));
  };
  /** Writes `bytes` to `file` through `<dir>/tmp/` and a rename. */
  const replace = async (file: string, bytes: Uint8Array | string): Promise<void> => {
    const tmp = join(dir, 'tmp', `${randomBytes(8).toString('hex')}`);
    await Promise.all([
      mkdir(join(dir, 'tmp'), { recursive: true }),
      mkdir(dirname(file), { recursive: true }),
    ]);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
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
      if (file !== undefined) await replace(file, bytes);
    },
    async blobLocations(digest) {
      const file = locationsFile(digest);
      return file === undefined ? [] : readLocations(file);
    },
    async addBlobLocation(digest, name) {
      const file = locationsFile(digest);
      if (file === undefined || !REPOSITORY_NAME.test(name)) return;
      const known = await readLocations(file);
      if (known[0] === name) return;
      const next = [name, ...known.filter((l) => l !== name)].slice(0, MAX_LOCATIONS);
      await replace(file, `${next.join('\n')}\n`);
    },
  };
}

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type ContainerConfig,
  createDigester,
  type Digest,
  digestHex,
  digestStream,
  type History,
  isDigest,
  type Layer,
  layerFromBlob,
} from '@kaniko-ts/oci';
import {
  assertCacheKey,
  type CachedLayer,
  type CacheEntryMeta,
  cacheOptions,
  historyOf,
  isExpired,
  type LayerCache,
  type LayerCacheOptions,
  lookUpEach,
} from './layer-cache.js';

const ENTRY_SCHEMA = 'kaniko-ts-cache-entry/1';

/** The JSON file stored per key. */
interface EntryFile {
  schema: typeof ENTRY_SCHEMA;
  key: string;
  storedAt: string;
  emptyLayer: boolean;
  history: History;
  config?: ContainerConfig;
  layer?: { mediaType: string; digest: Digest; size: number; diffId: Digest; uncompressedSize?: number };
}

/** Blobs up to this size are hashed on every lookup; larger ones are verified as they are read. */
const EAGER_VERIFY_MAX = 16 * 1024 * 1024;

/**
 * Blobs up to this size are read whole and hashed in one call: for the small layers of a typical
 * warm build (a few KiB each) the stream pipeline's set-up cost more than the hashing (profiled:
 * 7-11 ms of CPU for three blobs of 0.1-3 KiB on the three-runs bench row).
 */
const READ_WHOLE_MAX = 1024 * 1024;

async function hashWhole(path: string): Promise<{ digest: string; size: number }> {
  const bytes = await readFile(path);
  const d = createDigester();
  d.update(bytes);
  return { digest: d.digest(), size: bytes.byteLength };
}

async function hashStreamed(path: string): Promise<{ digest: string; size: number }> {
  const hash = digestStream();
  await pipeline(createReadStream(path), hash, async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
  return hash.result();
}

/**
 * A layer cache in a local directory (`--cache-dir`, or a directory that CI caches between runs):
 * `blobs/sha256/<hex>` holds compressed layer blobs by digest, `entries/<k0k1>/<key>.json` the
 * entry of each key. Every file is written to `tmp/` and renamed into place, so readers never see
 * half a file and concurrent builds writing the same key both leave a complete entry (the last
 * rename wins). On read every blob up to 16 MiB is hashed (one that does not match its digest is
 * removed and the entry is a miss); larger blobs are size-checked and verified as they are read.
 */
export class LocalDirLayerCache implements LayerCache {
  readonly dir: string;
  private readonly ttl: number;
  private readonly now: () => Date;
  private readonly concurrency: number;
  private readonly warn: (message: string) => void;

  constructor(dir: string, opts: LayerCacheOptions = {}) {
    this.dir = dir;
    ({
      ttl: this.ttl,
      now: this.now,
      concurrency: this.concurrency,
      onWarning: this.warn,
    } = cacheOptions(opts));
  }

  private entryPath(key: string): string {
    return join(this.dir, 'entries', key.slice(0, 2), `${key}.json`);
  }

  private blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  private async tempFile(): Promise<string> {
    const tmp = join(this.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    return join(tmp, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  get(keys: readonly string[]): Promise<Map<string, CachedLayer>> {
    return lookUpEach(keys, this.concurrency, (key) => this.lookup(key));
  }

  private async lookup(key: string): Promise<CachedLayer | undefined> {
    let entry: EntryFile;
    try {
      entry = JSON.parse(await readFile(this.entryPath(key), 'utf8')) as EntryFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.warn(`reading cache entry ${key}: ${(e as Error).message}`);
      return undefined;
    }
    if (entry.schema !== ENTRY_SCHEMA || entry.key !== key) {
      this.warn(`reading cache entry ${key}: unknown format, ignored`);
      return undefined;
    }
    const storedAt = new Date(entry.storedAt);
    if (isExpired(storedAt, this.ttl, this.now())) return undefined;
    let layer: Layer | undefined;
    if (entry.layer) {
      const { mediaType, digest, size, diffId, uncompressedSize } = entry.layer;
      if (!isDigest(digest) || !isDigest(diffId)) return undefined;
      const path = this.blobPath(digest);
      if (!(await this.blobIntact(path, digest, size))) return undefined;
      layer = layerFromBlob({
        descriptor: { mediaType, digest, size },
        open: async () => createReadStream(path),
        diffId,
        ...(uncompressedSize !== undefined ? { uncompressedSize } : {}),
      });
    } else if (!entry.emptyLayer) {
      return undefined;
    }
    return {
      key,
      layer,
      diffId: entry.layer?.diffId,
      history: entry.history,
      emptyLayer: entry.emptyLayer,
      ...(entry.config ? { config: entry.config } : {}),
      storedAt,
    };
  }

  /**
   * Hashes a blob file; a missing, short or corrupted blob is removed and reported. Blobs larger
   * than `EAGER_VERIFY_MAX` only have their size checked here: hashing 200 MB on every lookup would
   * cost a fully cached build more than the build itself, and the layer verifies its bytes against
   * the digest whenever they are read (extraction or push), failing with a digest mismatch.
   */
  private async blobIntact(path: string, digest: Digest, size: number): Promise<boolean> {
    if (size > EAGER_VERIFY_MAX) {
      const st = await stat(path).catch(() => undefined);
      if (st?.size === size) return true;
      if (st) this.warn(`reading cache blob ${digest}: ${st.size} bytes, expected ${size}; removed`);
      await rm(path, { force: true });
      return false;
    }
    let r: { digest: string; size: number };
    try {
      r = size <= READ_WHOLE_MAX ? await hashWhole(path) : await hashStreamed(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.warn(`reading cache blob ${digest}: ${(e as Error).message}`);
      return false;
    }
    if (r.digest === digest && r.size === size) return true;
    this.warn(
      `reading cache blob ${digest}: content does not match its digest (got ${r.digest}, ${r.size} bytes); removed`,
    );
    await rm(path, { force: true });
    return false;
  }

  async put(key: string, layer: Layer | undefined, meta: CacheEntryMeta): Promise<void> {
    assertCacheKey(key);
    const storedAt = this.now();
    let stored: EntryFile['layer'];
    if (layer && !meta.emptyLayer) {
      const desc = layer.descriptor();
      const path = this.blobPath(desc.digest);
      const existing = await stat(path).catch(() => undefined);
      if (existing?.size !== desc.size) {
        await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
        const tmp = await this.tempFile();
        try {
          // layer.compressed() is verified against its descriptor: a bad source errors here
          await pipeline(await layer.compressed(), createWriteStream(tmp));
          await rename(tmp, path);
        } finally {
          await rm(tmp, { force: true });
        }
      }
      const uncompressedSize = layer.uncompressedSize ? await layer.uncompressedSize() : undefined;
      stored = {
        mediaType: desc.mediaType,
        digest: desc.digest,
        size: desc.size,
        diffId: await layer.diffId(),
        ...(uncompressedSize !== undefined ? { uncompressedSize } : {}),
      };
    }
    const entry: EntryFile = {
      schema: ENTRY_SCHEMA,
      key,
      storedAt: storedAt.toISOString(),
      emptyLayer: stored === undefined,
      history: historyOf({ ...meta, emptyLayer: stored === undefined }, storedAt),
      ...(meta.config ? { config: meta.config } : {}),
      ...(stored ? { layer: stored } : {}),
    };
    const path = this.entryPath(key);
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = await this.tempFile();
    try {
      await writeFile(tmp, `${JSON.stringify(entry)}\n`);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Removes expired entries, then blobs no entry names (blobs younger than `graceMs`, default one
   * hour, are kept: a concurrent `put` writes its blob before its entry), and stale temp files.
   */
  async prune(opts: { graceMs?: number } = {}): Promise<{ entries: number; blobs: number }> {
    const now = this.now();
    const grace = opts.graceMs ?? 3600_000;
    const live = new Set<string>();
    let entries = 0;
    let blobs = 0;
    const entriesDir = join(this.dir, 'entries');
    for (const shard of await readdir(entriesDir).catch(() => [] as string[])) {
      for (const name of await readdir(join(entriesDir, shard)).catch(() => [] as string[])) {
        const path = join(entriesDir, shard, name);
        const entry = await readFile(path, 'utf8')
          .then((t) => JSON.parse(t) as EntryFile)
          .catch(() => undefined);
        if (!entry || isExpired(new Date(entry.storedAt), this.ttl, now)) {
          await rm(path, { force: true });
          entries++;
        } else if (entry.layer) live.add(digestHex(entry.layer.digest));
      }
    }
    for (const dir of ['blobs/sha256', 'tmp']) {
      const base = join(this.dir, dir);
      for (const name of await readdir(base).catch(() => [] as string[])) {
        if (dir !== 'tmp' && live.has(name)) continue;
        const st = await stat(join(base, name)).catch(() => undefined);
        if (!st || now.getTime() - st.mtimeMs < grace) continue;
        await rm(join(base, name), { force: true });
        if (dir !== 'tmp') blobs++;
      }
    }
    return { entries, blobs };
  }
}

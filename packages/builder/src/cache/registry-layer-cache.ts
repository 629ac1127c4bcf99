import {
  Annotation,
  type ImageConfig,
  imageFromParts,
  type Layer,
  MediaType,
  type Platform,
  sha256,
  toPlatformJson,
} from '@kaniko-ts/oci';
import { type RegistryClient, RegistryError } from '@kaniko-ts/registry';
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

/** Manifest annotation naming the key an entry was stored under (a tag can be moved by hand). */
export const CACHE_KEY_ANNOTATION = 'dev.kaniko-ts.cache.key';

export interface RegistryLayerCacheOptions extends LayerCacheOptions {
  /**
   * `lazy` (default): a hit's layer is verified while it is read (a corrupted blob errors with
   * `DIGEST_MISMATCH`, never extracts silently) and is only downloaded if the build needs it.
   * `eager`: every hit's blob is downloaded and hashed during `get`; a mismatch is a miss.
   */
  verify?: 'lazy' | 'eager';
  /** Platform written into entry configs (cosmetic: keys already include the platform). */
  platform?: Platform;
}

const MISS_CODES: ReadonlySet<string> = new Set(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'NOT_FOUND']);
const RACE_CODES: ReadonlySet<string> = new Set([
  'MANIFEST_BLOB_UNKNOWN',
  'DIGEST_INVALID',
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_UNKNOWN',
]);
const PUSH_ATTEMPTS = 4;

/**
 * A layer cache in a registry repository (kaniko's `--cache-repo`): each entry is a one-layer OCI
 * image tagged `<repo>:<key>` whose layer is the cached blob, verbatim, and whose config carries
 * the diffID (`rootfs.diff_ids`), the history entry and `created` (for the TTL). Empty-layer steps
 * are images without layers. Lookups run in parallel; only manifests and configs are fetched.
 */
export class RegistryLayerCache implements LayerCache {
  private readonly ttl: number;
  private readonly now: () => Date;
  private readonly concurrency: number;
  private readonly warn: (message: string) => void;
  private readonly verify: 'lazy' | 'eager';
  private readonly platform: Platform;

  constructor(
    private readonly client: RegistryClient,
    readonly repo: string,
    opts: RegistryLayerCacheOptions = {},
  ) {
    ({
      ttl: this.ttl,
      now: this.now,
      concurrency: this.concurrency,
      onWarning: this.warn,
    } = cacheOptions(opts));
    this.verify = opts.verify ?? 'lazy';
    this.platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  }

  private ref(key: string): string {
    return `${this.repo}:${key}`;
  }

  get(keys: readonly string[]): Promise<Map<string, CachedLayer>> {
    return lookUpEach(keys, this.concurrency, (key) =>
      this.lookup(key).catch((e: unknown) => {
        if (!(e instanceof RegistryError && MISS_CODES.has(e.code))) {
          this.warn(`looking up cache entry ${this.ref(key)}: ${(e as Error).message}`);
        }
        return undefined;
      }),
    );
  }

  private async lookup(key: string): Promise<CachedLayer | undefined> {
    const image = await this.client.pullImage(this.ref(key), { platform: this.platform });
    const manifest = await image.manifest();
    if (manifest.annotations?.[CACHE_KEY_ANNOTATION] !== key) {
      this.warn(`looking up cache entry ${this.ref(key)}: not a kaniko-ts cache entry for this key, ignored`);
      return undefined;
    }
    const config = await image.config(); // verified against the manifest's config digest
    const storedAt = new Date(config.created ?? '');
    if (isExpired(storedAt, this.ttl, this.now())) return undefined;
    const layers = await image.layers();
    const history = config.history?.[0];
    if (!history || layers.length > 1) return undefined;
    const layer = layers[0];
    if (layer && this.verify === 'eager') {
      try {
        for await (const _ of await layer.compressed());
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        this.warn(
          `reading cache blob ${layer.descriptor().digest}: ${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message}; treated as a miss`,
        );
        return undefined;
      }
    }
    return {
      key,
      layer,
      diffId: layer ? await layer.diffId() : undefined,
      history,
      emptyLayer: layer === undefined,
      ...(config.config && Object.keys(config.config).length > 0 ? { config: config.config } : {}),
      storedAt,
    };
  }

  async put(key: string, layer: Layer | undefined, meta: CacheEntryMeta): Promise<void> {
    assertCacheKey(key);
    const storedAt = this.now();
    const stored = meta.emptyLayer ? undefined : layer;
    const config: ImageConfig = {
      created: storedAt.toISOString(),
      ...toPlatformJson(this.platform),
      config: meta.config ?? {},
      rootfs: { type: 'layers', diff_ids: stored ? [await stored.diffId()] : [] },
      history: [historyOf({ ...meta, emptyLayer: stored === undefined }, storedAt)],
    };
    const rawConfig = new TextEncoder().encode(JSON.stringify(config));
    const image = imageFromParts({
      manifest: {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(rawConfig), size: rawConfig.byteLength },
        layers: stored ? [stored.descriptor()] : [],
        annotations: { [CACHE_KEY_ANNOTATION]: key, [Annotation.created]: storedAt.toISOString() },
      },
      rawConfig,
      layers: stored ? [stored] : [],
    });
    // Two builds pushing the same blob at once can make distribution refuse the manifest while the
    // other upload commits (`MANIFEST_BLOB_UNKNOWN`/`DIGEST_INVALID`): push again after a pause.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.pushImage(this.ref(key), image);
        return;
      } catch (e) {
        if (attempt >= PUSH_ATTEMPTS || !(e instanceof RegistryError && RACE_CODES.has(e.code))) throw e;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }
}

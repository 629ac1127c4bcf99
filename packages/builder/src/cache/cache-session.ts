import { createHash } from 'node:crypto';
import type { InstructionKind, PlannedInstruction } from '@kaniko-ts/dockerfile';
import type { Layer } from '@kaniko-ts/oci';
import type { CachedLayer, LayerCache } from './layer-cache.js';
import { type CacheKeyPlan, type PlanKeysRequest, planCacheKeys } from './plan-keys.js';

/** Instructions whose result is stored: those that touch the file system. */
export const DEFAULT_CACHED_KINDS: ReadonlySet<InstructionKind> = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

export interface CacheSessionOptions {
  /** Which instruction kinds are looked up and stored (kaniko's --cache-run-layers/--cache-copy-layers). */
  kinds?: ReadonlySet<InstructionKind>;
  /** Failed stores (a warning, never a build failure, as in kaniko). */
  onWarning?: (message: string) => void;
  /**
   * What the image's config depends on besides the target stage's final key (the `--label`
   * values): part of the key under which the time of its first build is kept (`imageTime`).
   */
  imageSalt?: string;
}

/** What a session did, for logs and job summaries. */
export interface CacheSessionStats {
  hits: number;
  misses: number;
  /** Cacheable kinds without a key (after an `ADD <url>` without --checksum). */
  unkeyed: number;
  stored: number;
  storeFailures: number;
}

/**
 * One build's use of a `LayerCache`: every key computed and looked up at once when it opens (one
 * parallel `get`), then per instruction a hit or a miss, and stores that run in the background
 * while later instructions build (`flush()` waits for them).
 */
export class CacheSession {
  private readonly puts: Promise<void>[] = [];
  private readonly counts: CacheSessionStats = {
    hits: 0,
    misses: 0,
    unkeyed: 0,
    stored: 0,
    storeFailures: 0,
  };

  private constructor(
    private readonly cache: LayerCache,
    readonly keys: CacheKeyPlan,
    private readonly hits: Map<string, CachedLayer>,
    private readonly kinds: ReadonlySet<InstructionKind>,
    private readonly warn: (message: string) => void,
    private readonly imageKey: string | undefined,
  ) {}

  /**
   * Computes every key and looks them all up in one parallel `get`, with the key under which the
   * time of the image's first build is kept (from the target stage's final key, so the answer is
   * there when the image is assembled, without a lookup of its own).
   */
  static async open(
    cache: LayerCache,
    req: PlanKeysRequest,
    opts: CacheSessionOptions = {},
  ): Promise<CacheSession> {
    const keys = await planCacheKeys(req);
    const final = keys.stages.get(req.plan.target)?.final;
    const imageKey =
      final === undefined
        ? undefined
        : createHash('sha256')
            .update(`kaniko-ts image time v1\n${final}\n${opts.imageSalt ?? ''}`)
            .digest('hex');
    const hits = await cache.get(imageKey === undefined ? keys.keys() : [...keys.keys(), imageKey]);
    return new CacheSession(
      cache,
      keys,
      hits,
      opts.kinds ?? DEFAULT_CACHED_KINDS,
      opts.onWarning ?? (() => {}),
      imageKey,
    );
  }

  /** The cached result of instruction `i` of `stage`, or undefined when it must run. */
  lookup(stage: number, i: number, ins: PlannedInstruction): CachedLayer | undefined {
    if (!this.kinds.has(ins.kind)) return undefined;
    const key = this.keys.key(stage, i);
    if (key === undefined) {
      this.counts.unkeyed++;
      return undefined;
    }
    const hit = this.hits.get(key);
    if (hit) this.counts.hits++;
    else this.counts.misses++;
    return hit;
  }

  /**
   * Stores what instruction `i` of `stage` made (in the background; see `flush`), with its history
   * `created_by` and `comment`, so a hit replays the same history entry.
   */
  store(
    stage: number,
    i: number,
    ins: PlannedInstruction,
    layer: Layer | undefined,
    history: { createdBy: string; comment?: string },
  ): void {
    const key = this.keys.key(stage, i);
    if (key === undefined || !this.kinds.has(ins.kind) || this.hits.has(key)) return;
    const meta = { ...history, emptyLayer: layer === undefined };
    this.puts.push(
      this.cache.put(key, layer, meta).then(
        () => {
          this.counts.stored++;
        },
        (e: unknown) => {
          this.counts.storeFailures++;
          this.warn(`storing cache entry ${key} for "${ins.original}": ${(e as Error).message}`);
        },
      ),
    );
  }

  /**
   * When the image whose content key is `contentKey` (`imageContentKey`) was first built, if the
   * cache remembers it (found by the lookup `open` made). Only when no step ran: a step that ran
   * made new layers, so its image is new.
   */
  imageTime(contentKey: string): string | undefined {
    if (this.counts.misses > 0 || this.counts.unkeyed > 0 || this.imageKey === undefined) return undefined;
    const hit = this.hits.get(this.imageKey);
    if (hit?.emptyLayer !== true || hit.history.comment !== contentKey) return undefined;
    const created = hit.history.created;
    return created !== undefined && !Number.isNaN(Date.parse(created)) ? created : undefined;
  }

  /** Remembers that the image whose content key is `contentKey` was built at `time` (see `flush`). */
  rememberImageTime(contentKey: string, time: string): void {
    const key = this.imageKey;
    if (key === undefined) return;
    const meta = {
      createdBy: 'kaniko-ts: image built',
      comment: contentKey,
      emptyLayer: true,
      madeAt: new Date(time),
    };
    this.puts.push(
      this.cache.put(key, undefined, meta).catch((e: unknown) => {
        this.warn(`remembering when this image was built (${key}): ${(e as Error).message}`);
      }),
    );
  }

  /** `describeKey` of the instruction's key, for `--verbosity=debug`. */
  describe(stage: number, i: number): string {
    return this.keys.describe(stage, i);
  }

  /** Waits for every store started so far (never rejects). */
  async flush(): Promise<CacheSessionStats> {
    await Promise.all(this.puts);
    return this.stats();
  }

  stats(): CacheSessionStats {
    return { ...this.counts };
  }
}

import type { Descriptor } from '@kaniko-ts/oci';
import type { ContentCache } from '../content-cache.js';
import type { Reference } from '../reference.js';
import type { HttpTransport, RegistryLogEvent } from '../transport/http-transport.js';
import type { RetryPolicy } from '../transport/retry-policy.js';

/** What the pull/push/referrer modules share; one per `RegistryClient`. */
export interface ClientContext {
  readonly transport: HttpTransport;
  readonly retry: RetryPolicy;
  readonly log: (level: RegistryLogEvent['level'], message: string) => void;
  /** Repositories (`host/repo`) known to hold a blob, for cross-repository mounts. */
  readonly blobSources: Map<string, Set<string>>;
  /** Blob pushes of this client by `host/repo@digest`, settled or in flight (failed ones are removed). */
  readonly pushedBlobs: Map<string, Promise<'existed' | 'mounted' | 'uploaded'>>;
  /**
   * What a ref names now (HEAD), asked ahead of its push by `RegistryClient.checkManifestAhead`, by
   * the ref's string; taken (once) by the push of that ref.
   */
  readonly manifestChecks: Map<string, Promise<Descriptor | undefined>>;
  /** Upload sessions kept from push-permission checks, by `host/repo` (see upload-sessions.ts). */
  readonly idleUploads: Map<string, URL[]>;
  /** Parallel blob uploads per push. */
  readonly concurrency: number;
  /** Upload in PATCH chunks of this many bytes when a blob is larger; undefined = monolithic PUT. */
  readonly chunkSize: number | undefined;
  /** Endpoints to pull a reference from (mirrors, maps, then the reference itself). */
  readonly pullEndpoints: (ref: Reference) => Reference[];
  /** Configs and manifests by digest kept between runs (see content-cache.ts); undefined = none. */
  readonly contentCache: ContentCache | undefined;
  /** Content-cache writes still running (`close()` waits for them). */
  readonly cacheWrites: Set<Promise<void>>;
}

/** Remembers that `ref`'s repository holds `digest`. */
export function recordBlobSource(ctx: ClientContext, ref: Reference, digest: string): void {
  recordBlobLocation(ctx, ref.name, digest);
}

/** Remembers that the repository `name` (`host/repo`) holds `digest`. */
export function recordBlobLocation(ctx: ClientContext, name: string, digest: string): void {
  let set = ctx.blobSources.get(digest);
  if (set === undefined) {
    set = new Set();
    ctx.blobSources.set(digest, set);
  }
  set.add(name);
}

/** `/v2/<repository>/<rest>` */
export function v2Path(ref: Reference, rest: string): string {
  return `/v2/${ref.repository}/${rest}`;
}

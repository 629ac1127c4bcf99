import type { Readable } from 'node:stream';
import type { Descriptor, Digest, Image, ImageIndex, Platform } from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { anonymousKeychain, type Keychain } from './auth/keychain.js';
import type { ContentCache } from './content-cache.js';
import type { ClientContext } from './internal/context.js';
import { v2Path } from './internal/context.js';
import { mirrorsToMap, pullEndpoints } from './internal/endpoints.js';
import {
  type BlobOutcome,
  type BlobSource,
  currentManifest,
  type PushOptions,
  pushBlob,
  pushImageTo,
  pushIndexTo,
} from './push.js';
import { type ParseReferenceOptions, parseReference, type Reference } from './reference.js';
import { attachReferrerTo, type ListReferrersOptions, listReferrersOf } from './referrers.js';
import { RegistryError } from './registry-error.js';
import { openBlob } from './remote-blob.js';
import { fetchFromEndpoints, pullImage, remoteView } from './remote-image.js';
import { fetchManifest, headManifest, putManifest, type RemoteManifest } from './remote-manifest.js';
import { type ClientCertificate, hostListed } from './transport/host-options.js';
import { HttpTransport, type RegistryLogEvent } from './transport/http-transport.js';
import { defaultRetryPolicy, type RetryPolicy } from './transport/retry-policy.js';
import { cancelUploadSessions, keepUploadSession } from './upload-sessions.js';

export interface RegistryClientOptions {
  /** Where credentials come from; default anonymous. */
  readonly keychain?: Keychain;
  /** Registries spoken to over plain HTTP (`*` = all, kaniko's `--insecure`). Everything else is HTTPS. */
  readonly insecureRegistries?: readonly string[];
  /** Registries whose TLS certificate is not verified (`*` = all, kaniko's `--skip-tls-verify`). */
  readonly skipTlsVerifyRegistries?: readonly string[];
  /** Extra CA certificate files (PEM) per registry host (kaniko's `--registry-certificate`); key `*` = all. */
  readonly caFiles?: Readonly<Record<string, readonly string[]>>;
  /** Client certificate per registry host for mutual TLS (kaniko's `--registry-client-cert`). */
  readonly clientCertificates?: Readonly<Record<string, ClientCertificate>>;
  /** Docker Hub mirrors, tried in order before Docker Hub (kaniko's `--registry-mirror`). Pulls only. */
  readonly registryMirrors?: readonly string[];
  /** `registry[/prefix]` → replacements tried in order (kaniko's `--registry-map`). Pulls only. */
  readonly registryMaps?: Readonly<Record<string, readonly string[]>>;
  /** Fail instead of falling back to the original registry when no mirror has the image. */
  readonly skipDefaultRegistryFallback?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  readonly userAgent?: string;
  /** Receives retries, mirror fallbacks and mounts. Messages never contain credentials. */
  readonly logger?: (event: RegistryLogEvent) => void;
  /** Parallel blob uploads per push; default 4. */
  readonly uploadConcurrency?: number;
  /** Upload blobs larger than this in PATCH chunks of this size; default: one monolithic PUT. */
  readonly chunkSize?: number;
  readonly connectTimeoutMs?: number;
  /** Time to wait for response headers; default 60 s. */
  readonly headersTimeoutMs?: number;
  /** Longest silence while a body streams; default 5 min. */
  readonly bodyTimeoutMs?: number;
  /** Random source for backoff jitter (tests). */
  readonly random?: () => number;
  /**
   * Where image configs and manifests fetched by digest are kept between runs (`directoryContentCache`):
   * a pull whose tag still resolves to the same manifest reads its config from here instead of the
   * registry. Tags are always resolved by the registry; every cached object is checked against its digest.
   */
  readonly contentCache?: ContentCache;
}

/**
 * A client for OCI distribution registries, shared by the builder, sigstore and sbom packages. All
 * state (connections, auth challenges, tokens per scope, known blob locations for mounts) lives in
 * the instance; call `close()` when done.
 */
export class RegistryClient {
  readonly #ctx: ClientContext;
  readonly #transport: HttpTransport;

  constructor(options: RegistryClientOptions = {}) {
    const retry = { ...defaultRetryPolicy, ...options.retry };
    const logger = options.logger ?? (() => {});
    const maps = mirrorsToMap(options.registryMirrors ?? [], options.registryMaps ?? {});
    const skipDefault = options.skipDefaultRegistryFallback ?? false;
    this.#transport = new HttpTransport({
      keychain: options.keychain ?? anonymousKeychain,
      hostOptions: (host) => ({
        insecure: hostListed(options.insecureRegistries, host),
        skipTlsVerify: hostListed(options.skipTlsVerifyRegistries, host),
        caFiles: [...(options.caFiles?.['*'] ?? []), ...(options.caFiles?.[host] ?? [])],
        ...(options.clientCertificates?.[host] === undefined
          ? {}
          : { clientCertificate: options.clientCertificates[host] }),
      }),
      retry,
      userAgent: options.userAgent ?? 'kaniko-ts',
      logger,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 300_000,
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.#ctx = {
      transport: this.#transport,
      retry,
      log: (level, message) => logger({ level, message }),
      blobSources: new Map(),
      pushedBlobs: new Map(),
      manifestChecks: new Map(),
      idleUploads: new Map(),
      concurrency: Math.max(1, options.uploadConcurrency ?? 4),
      chunkSize: options.chunkSize,
      pullEndpoints: (ref) => pullEndpoints(ref, maps, skipDefault),
      contentCache: options.contentCache,
      cacheWrites: new Set(),
    };
  }

  /** Parses a reference string (convenience for `parseReference`). */
  parse(ref: string, options?: ParseReferenceOptions): Reference {
    return parseReference(ref, options);
  }

  /** The manifest a reference names, as bytes plus descriptor (mirrors/maps apply). */
  async getManifest(ref: Reference | string): Promise<RemoteManifest> {
    return fetchFromEndpoints(this.#ctx, this.#ref(ref));
  }

  /** The descriptor a reference names (HEAD), or undefined when absent. */
  async head(ref: Reference | string): Promise<Descriptor | undefined> {
    return headManifest(this.#ctx, this.#ref(ref));
  }

  /** Image or index, whichever the reference names. Blobs are fetched lazily and verified. */
  async pull(ref: Reference | string): Promise<Image | ImageIndex> {
    return remoteView(this.#ctx, await fetchFromEndpoints(this.#ctx, this.#ref(ref)));
  }

  /** One image; an index is narrowed to `platform` (default linux/amd64). */
  async pullImage(ref: Reference | string, options: { platform?: Platform } = {}): Promise<Image> {
    return pullImage(this.#ctx, this.#ref(ref), options.platform ?? { os: 'linux', architecture: 'amd64' });
  }

  /** An index; throws `UNSUPPORTED` when the reference names a single image. */
  async pullIndex(ref: Reference | string): Promise<ImageIndex> {
    const parsed = this.#ref(ref);
    const view = await this.pull(parsed);
    if (!('index' in view)) {
      throw new RegistryError('UNSUPPORTED', `pulling index ${parsed}: it is an image (${view.mediaType})`, {
        registry: parsed.registry,
      });
    }
    return view;
  }

  /** A blob's bytes as a stream (resumes after connection drops; not verified, pipe through `verifyingStream`). */
  openBlob(ref: Reference | string, descriptor: Descriptor): Readable {
    return openBlob(this.#ctx, this.#ref(ref), descriptor);
  }

  /** Pushes one blob unless present; returns what happened. */
  async pushBlob(ref: Reference | string, blob: BlobSource, options?: PushOptions): Promise<BlobOutcome> {
    return pushBlob(this.#ctx, this.#ref(ref), blob, options);
  }

  /** Pushes an image (blobs in parallel, then the manifest by tag, or by digest if the ref has none). */
  async pushImage(ref: Reference | string, image: Image, options?: PushOptions): Promise<Digest> {
    return (await pushImageTo(this.#ctx, this.#ref(ref), image, options)).digest;
  }

  /**
   * Asks now what `ref` names (a HEAD of its manifest), for the next `pushImage` to that ref, which
   * then skips its manifest PUT if that is the image already without waiting for the answer: a build
   * calls it beside its last blob uploads. Failures are left to that push (it puts the manifest).
   */
  checkManifestAhead(ref: Reference | string): void {
    const parsed = this.#ref(ref);
    if (this.#ctx.manifestChecks.has(parsed.toString())) return;
    this.#ctx.manifestChecks.set(parsed.toString(), currentManifest(this.#ctx, parsed));
  }

  /** Pushes an index and all its children; returns the index digest. */
  async pushIndex(ref: Reference | string, index: ImageIndex, options?: PushOptions): Promise<Digest> {
    return pushIndexTo(this.#ctx, this.#ref(ref), index, options);
  }

  /** Pushes raw manifest bytes under the ref's tag (or by digest); returns the digest. */
  async putManifest(ref: Reference | string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    return (await putManifest(this.#ctx, this.#ref(ref), bytes, mediaType)).digest;
  }

  /** Points `tag` at the manifest `ref` names (same repository); returns the digest. */
  async tag(ref: Reference | string, tag: string): Promise<Digest> {
    const source = this.#ref(ref);
    // a write: read from the registry itself, never from a mirror
    const remote = await fetchManifest(this.#ctx, source);
    return (await putManifest(this.#ctx, source.withTag(tag), remote.bytes, remote.descriptor.mediaType))
      .digest;
  }

  /**
   * Fails early, before a build, when we may not push to `ref` (what kaniko checks): opens an upload
   * session with a push-scoped token. The session is used by the first upload to the repository,
   * or cancelled by `close()`.
   */
  async checkPushPermission(ref: Reference | string): Promise<void> {
    const parsed = this.#ref(ref);
    const response = await this.#transport.send({
      method: 'POST',
      registry: parsed.registry,
      url: v2Path(parsed, 'blobs/uploads/'),
      headers: { 'content-length': '0' },
      scopes: [repositoryScope(parsed.repository, 'pull', 'push')],
      operation: `checking push permission for ${parsed.name}`,
      expect: [202],
    });
    await response.body.dump();
    const location = response.headers.location;
    // kept for the first upload to this repository instead of cancelled (see upload-sessions.ts)
    if (location !== undefined) keepUploadSession(this.#ctx, parsed, new URL(location, response.url));
  }

  /** Tags in a repository (`/v2/<name>/tags/list`, following `Link` pagination). */
  async listTags(repository: Reference | string): Promise<string[]> {
    const ref = this.#ref(repository);
    const tags: string[] = [];
    let url: string | undefined = v2Path(ref, 'tags/list?n=1000');
    while (url !== undefined) {
      const { response, bytes }: Awaited<ReturnType<HttpTransport['sendForBytes']>> =
        await this.#transport.sendForBytes({
          method: 'GET',
          registry: ref.registry,
          url,
          scopes: [repositoryScope(ref.repository, 'pull')],
          operation: `listing tags of ${ref.name}`,
          expect: [200],
        });
      const body = JSON.parse(bytes.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next: string | undefined = /<([^>]+)>;\s*rel="?next"?/.exec(response.headers.link ?? '')?.[1];
      url = next === undefined ? undefined : new URL(next, response.url).href;
    }
    return tags;
  }

  /** Referrers of a subject (OCI 1.1 API, else the `sha256-<hex>` tag fallback). A tag is resolved first. */
  async listReferrers(subject: Reference | string, options?: ListReferrersOptions): Promise<Descriptor[]> {
    return listReferrersOf(this.#ctx, await this.#resolveDigest(subject), options);
  }

  /** Pushes an artifact whose manifest has a `subject`, and records it in the fallback index if needed. */
  async attachReferrer(subject: Reference | string, artifact: Image): Promise<Descriptor> {
    return attachReferrerTo(this.#ctx, await this.#resolveDigest(subject), artifact);
  }

  /** Closes pooled connections (after the content cache's pending writes). */
  async close(): Promise<void> {
    await Promise.all([cancelUploadSessions(this.#ctx), ...this.#ctx.cacheWrites]);
    return this.#transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #resolveDigest(ref: Reference | string): Promise<Reference> {
    const parsed = this.#ref(ref);
    if (parsed.digest !== undefined) return parsed;
    const descriptor = await headManifest(this.#ctx, parsed);
    if (descriptor === undefined) {
      throw new RegistryError('MANIFEST_UNKNOWN', `resolving ${parsed}: manifest unknown`, {
        registry: parsed.registry,
        status: 404,
      });
    }
    return parsed.withDigest(descriptor.digest);
  }

  #ref(ref: Reference | string): Reference {
    return typeof ref === 'string' ? parseReference(ref) : ref;
  }
}

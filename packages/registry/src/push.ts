import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Descriptor,
  type Digest,
  type Image,
  type ImageIndex,
  isIndexMediaType,
  sha256,
} from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { loadBlobLocations, REMEMBERED_BLOB_BYTES, storeBlobLocation } from './internal/cached-content.js';
import { type ClientContext, recordBlobSource, v2Path } from './internal/context.js';
import { type FailureRecord, type Limiter, limiter } from './internal/limit.js';
import { patchChunks } from './internal/patch-chunks.js';
import { withProgress } from './internal/progress.js';
import { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';
import { blobExists } from './remote-blob.js';
import { headManifest, putManifest } from './remote-manifest.js';
import { backoffDelay } from './transport/retry-policy.js';
import { hasUploadSession, takeUploadSession, uploadLocation } from './upload-sessions.js';

/** A blob to push: its descriptor and a way to (re)open its bytes. */
export interface BlobSource {
  readonly descriptor: Descriptor;
  open(): Promise<Readable | Uint8Array>;
}

export interface PushOptions {
  /** Repositories on the same registry (`repo/name`) to try mounting blobs from. */
  readonly mountFrom?: readonly string[];
  /** Stops a blob push between requests (a push already sending its body finishes that request). */
  readonly signal?: AbortSignal;
  /** Told the bytes of each uploaded blob sent so far, as the request body is read. */
  readonly onProgress?: (progress: { digest: Digest; bytes: number; size: number }) => void;
  /**
   * Upload without asking first whether the repository has the blob (no HEAD), when an upload
   * session kept from `checkPushPermission` is waiting and no repository to mount from is known:
   * the PUT into that session costs the round trip the HEAD would, and a blob that existed is
   * simply stored again. For small blobs that are usually new, such as a freshly built image's
   * config. Without a kept session the blob is checked as usual.
   */
  readonly skipExistenceCheck?: boolean;
}

/**
 * How one image push shares its connections: existence checks (HEAD) of all its blobs go out at
 * once (up to `checks`), uploads of the missing ones take `uploads` slots.
 */
export interface PushGate {
  readonly checks: Limiter;
  readonly uploads: Limiter;
}

/** HEAD requests one image push keeps in flight (they carry no body; a warm push is mostly HEADs). */
const CHECK_CONCURRENCY = 16;

/** What happened to one blob during a push. */
export type BlobOutcome = 'existed' | 'mounted' | 'uploaded';

/**
 * Pushes one blob, once per client and repository: a blob this client already pushed (or is
 * pushing) to the repository is not pushed again — the second caller waits for the first push, so
 * a blob uploaded while a build runs costs the final image push nothing. A failed push is forgotten
 * (the next caller tries again).
 */
export function pushBlob(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  options: PushOptions = {},
  gate?: PushGate,
): Promise<BlobOutcome> {
  const key = `${ref.name}@${blob.descriptor.digest}`;
  const known = ctx.pushedBlobs.get(key);
  if (known)
    return known.then((outcome) => (outcome === 'uploaded' || outcome === 'mounted' ? 'existed' : outcome));
  const push = pushBlobOnce(ctx, ref, blob, options, gate);
  ctx.pushedBlobs.set(key, push);
  push.catch(() => ctx.pushedBlobs.delete(key));
  return push;
}

function checkAborted(signal: AbortSignal | undefined, operation: string, registry: string): void {
  if (signal?.aborted)
    throw new RegistryError('ABORTED', `${operation}: cancelled`, { registry, cause: signal.reason });
}

/**
 * Pushes one blob: HEAD (skip if present), else a cross-repository mount from a repository known to
 * hold it, else an upload (monolithic PUT, or PATCH chunks when larger than the chunk size). A
 * failed upload restarts from a fresh session within the retry policy; the registry checks the
 * digest, so a corrupt upload is rejected rather than stored.
 */
async function pushBlobOnce(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  options: PushOptions,
  gate: PushGate | undefined,
): Promise<BlobOutcome> {
  const { digest } = blob.descriptor;
  const operation = `pushing blob ${digest} to ${ref.name}`;
  checkAborted(options.signal, operation, ref.registry);
  const direct =
    options.skipExistenceCheck === true &&
    mountSource(ctx, ref, digest, options) === undefined &&
    hasUploadSession(ctx, ref);
  const check = () => blobExists(ctx, ref, blob.descriptor);
  if (!direct && (await (gate === undefined ? check() : gate.checks.run(check)))) {
    recordBlobSource(ctx, ref, digest);
    return 'existed';
  }
  // the repository lacks it: an earlier run with this content cache may have pushed it elsewhere
  const remembered = blob.descriptor.size >= REMEMBERED_BLOB_BYTES;
  if (remembered && mountSource(ctx, ref, digest, options) === undefined)
    await loadBlobLocations(ctx, digest);
  const upload = () => uploadWithRetries(ctx, ref, blob, options, operation);
  const outcome = await (gate === undefined ? upload() : gate.uploads.run(upload));
  if (remembered) storeBlobLocation(ctx, ref.name, digest);
  return outcome;
}

/** Uploads a blob the repository lacks, restarting a failed upload within the retry policy. */
async function uploadWithRetries(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  options: PushOptions,
  operation: string,
): Promise<BlobOutcome> {
  const { digest } = blob.descriptor;
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    checkAborted(options.signal, operation, ref.registry);
    try {
      const outcome = await uploadOnce(ctx, ref, blob, options, operation);
      recordBlobSource(ctx, ref, digest);
      return outcome;
    } catch (error) {
      const delay = backoffDelay(ctx.retry, attempt);
      const retryable = error instanceof RegistryError && error.retryable;
      if (!retryable || attempt >= ctx.retry.maxAttempts || slept + delay > ctx.retry.maxTotalDelayMs)
        throw error;
      ctx.log('warn', `${(error as Error).message}; restarting upload in ${delay} ms`);
      slept += delay;
      await sleep(delay);
    }
  }
}

async function uploadOnce(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  options: PushOptions,
  operation: string,
): Promise<BlobOutcome> {
  const { digest } = blob.descriptor;
  const from = mountSource(ctx, ref, digest, options);
  const scopes = [repositoryScope(ref.repository, 'pull', 'push')];
  if (from !== undefined) scopes.push(repositoryScope(from, 'pull'));
  const kept = from === undefined ? takeUploadSession(ctx, ref) : undefined;
  if (kept !== undefined) {
    try {
      return await sendBytes(ctx, ref, blob, options, kept, scopes, operation);
    } catch (error) {
      // a kept session can have expired (404 BLOB_UPLOAD_UNKNOWN): open a fresh one; auth refusals,
      // aborts and retryable failures (restarted with a fresh session anyway) go up as they are
      const status = error instanceof RegistryError && !error.retryable ? (error.status ?? 0) : 0;
      if (status < 400 || status >= 500 || status === 401 || status === 403) throw error;
      ctx.log('debug', `${(error as Error).message}; opening a new upload session`);
    }
  }
  const query =
    from === undefined ? '' : `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
  const start = await ctx.transport.send({
    method: 'POST',
    registry: ref.registry,
    url: v2Path(ref, `blobs/uploads/${query}`),
    headers: { 'content-length': '0' },
    scopes,
    operation,
    expect: [201, 202],
  });
  await start.body.dump();
  if (start.status === 201) {
    ctx.log('debug', `mounted blob ${digest} into ${ref.name} from ${from}`);
    return 'mounted';
  }
  const location = uploadLocation(start.headers.location, start.url, operation, ref.registry);
  return sendBytes(ctx, ref, blob, options, location, scopes, operation);
}

/** Another repository of `ref`'s registry known to hold the blob (`mountFrom` first), if any. */
function mountSource(
  ctx: ClientContext,
  ref: Reference,
  digest: string,
  options: PushOptions,
): string | undefined {
  const sources = [...(options.mountFrom ?? [])];
  for (const name of ctx.blobSources.get(digest) ?? []) {
    if (name.startsWith(`${ref.registry}/`)) sources.push(name.slice(ref.registry.length + 1));
  }
  return sources.find((repository) => repository !== ref.repository);
}

/** Sends a blob's bytes into an upload session (one PUT, or PATCH chunks and a closing PUT). */
async function sendBytes(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  options: PushOptions,
  session: URL,
  scopes: string[],
  operation: string,
): Promise<BlobOutcome> {
  const { digest, size } = blob.descriptor;
  let location = session;
  checkAborted(options.signal, operation, ref.registry);
  const source = options.onProgress ? withProgress(blob, options.onProgress) : blob;
  if (ctx.chunkSize !== undefined && size > ctx.chunkSize) {
    location = await patchChunks(ctx, ref, source, location, ctx.chunkSize, scopes, operation);
    await finish(ctx, ref, location, digest, undefined, 0, scopes, operation);
  } else {
    await finish(ctx, ref, location, digest, source, size, scopes, operation);
  }
  return 'uploaded';
}

async function finish(
  ctx: ClientContext,
  ref: Reference,
  location: URL,
  digest: Digest,
  blob: BlobSource | undefined,
  size: number,
  scopes: string[],
  operation: string,
): Promise<void> {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  const body = blob === undefined ? undefined : await blob.open();
  const response = await ctx.transport
    .send({
      method: 'PUT',
      registry: ref.registry,
      url: url.href,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      ...(body === undefined ? {} : { body: () => body }),
      scopes,
      operation,
      expect: [201, 204],
      retry: false,
    })
    .catch((error: unknown) => {
      // a stream the request never finished reading would keep its file or connection open
      if (body !== undefined && !(body instanceof Uint8Array)) body.destroy();
      throw error;
    });
  await response.body.dump();
}

/**
 * Pushes an image's blobs then its manifest by tag, or by digest when the ref has no tag. The blobs'
 * HEAD checks all go out at once and only missing blobs queue for the `concurrency` upload slots, so
 * a push whose blobs are all present costs one round trip before the manifest PUT. After a failure
 * no further upload starts, and the first failure is thrown once the others have settled.
 *
 * Beside the blob checks, the manifest the ref names now is asked for (HEAD): when it is this image
 * already (a rebuild with no change), the manifest PUT is skipped, as go-containerregistry does, and
 * the push costs one round trip. A failed HEAD only means the PUT is sent. Manifests with a
 * `subject` are always put.
 */
export async function pushImageTo(
  ctx: ClientContext,
  ref: Reference,
  image: Image,
  options: PushOptions = {},
): Promise<{ digest: Digest; subject: string | undefined; descriptor: Descriptor }> {
  const [layers, configDescriptor, rawManifest] = await Promise.all([
    image.layers(),
    image.configDescriptor(),
    image.rawManifest(),
  ]);
  const blobs: BlobSource[] = [{ descriptor: configDescriptor, open: () => image.rawConfig() }];
  const seen = new Set<string>([configDescriptor.digest]);
  for (const layer of layers) {
    const descriptor = layer.descriptor();
    if (seen.has(descriptor.digest)) continue;
    seen.add(descriptor.digest);
    blobs.push({ descriptor, open: () => layer.compressed() });
  }
  const shared: FailureRecord = {};
  const gate: PushGate = {
    checks: limiter(Math.max(CHECK_CONCURRENCY, ctx.concurrency), shared),
    uploads: limiter(ctx.concurrency, shared),
  };
  // (not for referrers: the PUT's OCI-Subject answer says whether the fallback tag needs them)
  const ahead = ctx.manifestChecks.get(ref.toString());
  ctx.manifestChecks.delete(ref.toString());
  const current =
    (await image.manifest()).subject === undefined ? (ahead ?? currentManifest(ctx, ref)) : undefined;
  await Promise.all(
    blobs.map(async (blob) => {
      try {
        const outcome = await pushBlob(ctx, ref, blob, options, gate);
        ctx.log('debug', `blob ${blob.descriptor.digest} ${outcome} (${ref.name})`);
      } catch (error) {
        shared.failure ??= { error };
      }
    }),
  );
  if (shared.failure !== undefined) throw shared.failure.error;
  const descriptor = await image.descriptor();
  if ((await current)?.digest === descriptor.digest) {
    ctx.log('debug', `${ref} is ${descriptor.digest} already: manifest not put again`);
    return { digest: descriptor.digest, subject: undefined, descriptor };
  }
  const { digest, subject } = await putManifest(ctx, ref, rawManifest, image.mediaType);
  return { digest, subject, descriptor };
}

/** What `ref` names now, asked with the push's token scope; undefined when unknown or the HEAD failed. */
export function currentManifest(ctx: ClientContext, ref: Reference): Promise<Descriptor | undefined> {
  return headManifest(ctx, ref, ['pull', 'push']).catch((error: unknown) => {
    ctx.log('debug', `${(error as Error).message}; the manifest is put as usual`);
    return undefined;
  });
}

/**
 * Pushes every child of an index by digest (recursively), then the index by tag, unless the tag
 * names this index already (asked beside the children's pushes, as `pushImageTo` does).
 */
export async function pushIndexTo(
  ctx: ClientContext,
  ref: Reference,
  index: ImageIndex,
  options: PushOptions = {},
): Promise<Digest> {
  const manifest = await index.manifest();
  const current = manifest.subject === undefined ? currentManifest(ctx, ref) : undefined;
  for (const child of manifest.manifests) {
    const target = new Reference(ref.registry, ref.repository, undefined, child.digest);
    if (isIndexMediaType(child.mediaType)) {
      await pushIndexTo(ctx, target, await index.index(child), options);
    } else {
      await pushImageTo(ctx, target, await index.image(child), options);
    }
  }
  const raw = await index.rawManifest();
  const own = sha256(raw);
  if ((await current)?.digest === own) {
    ctx.log('debug', `${ref} is ${own} already: index not put again`);
    return own;
  }
  const { digest } = await putManifest(ctx, ref, raw, index.mediaType);
  return digest;
}

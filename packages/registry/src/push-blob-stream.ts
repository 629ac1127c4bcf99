import type { Readable } from 'node:stream';
import type { Descriptor } from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { type ClientContext, recordBlobSource, v2Path } from './internal/context.js';
import { patchChunks } from './internal/patch-chunks.js';
import { type BlobOutcome, checkAborted, finish } from './push.js';
import type { Reference } from './reference.js';
import { cancelUpload, takeUploadSession, uploadLocation } from './upload-sessions.js';

/** Bytes per PATCH of a streamed upload when the client sets no `chunkSize`. */
export const STREAM_CHUNK_SIZE = 8 * 1024 * 1024;

/**
 * Uploads a blob while it is still being produced (a layer being compressed): the bytes `chunks`
 * yields go out in PATCH requests of the chunk size as they come, and once the stream ends the
 * closing PUT names the digest `descriptor` then gives. The blob's bytes never wait for the whole
 * blob, so upload and production overlap.
 *
 * There is no existence check (the digest is not known before the end): a blob the repository
 * already has is sent again. On success the client knows the blob is in the repository (a later
 * `pushBlob` of it sends nothing). On any failure — the registry's, `chunks` destroyed with an
 * error, `descriptor` rejected — the session is cancelled and the error thrown; the caller still
 * has the blob and pushes it the usual way. A PATCH that fails is resumed once from the offset the
 * registry reports, as chunked uploads are (see patchChunks); the stream itself is not re-read.
 */
export async function pushBlobStream(
  ctx: ClientContext,
  ref: Reference,
  chunks: Readable,
  descriptor: Promise<Descriptor>,
  options: { signal?: AbortSignal } = {},
): Promise<BlobOutcome> {
  const operation = `streaming a blob to ${ref.name}`;
  const scopes = [repositoryScope(ref.repository, 'pull', 'push')];
  // it is awaited only after the last chunk; a rejection meanwhile is not unhandled
  descriptor.catch(() => undefined);
  let location = takeUploadSession(ctx, ref);
  try {
    checkAborted(options.signal, operation, ref.registry);
    if (location === undefined) {
      const start = await ctx.transport.send({
        method: 'POST',
        registry: ref.registry,
        url: v2Path(ref, 'blobs/uploads/'),
        headers: { 'content-length': '0' },
        scopes,
        operation,
        expect: [202],
      });
      await start.body.dump();
      location = uploadLocation(start.headers.location, start.url, operation, ref.registry);
    }
    location = await patchChunks(
      ctx,
      ref,
      chunks,
      location,
      ctx.chunkSize ?? STREAM_CHUNK_SIZE,
      scopes,
      operation,
    );
    const { digest } = await descriptor;
    checkAborted(options.signal, operation, ref.registry);
    await finish(ctx, ref, location, digest, undefined, 0, scopes, `pushing blob ${digest} to ${ref.name}`);
    recordBlobSource(ctx, ref, digest);
    ctx.pushedBlobs.set(`${ref.name}@${digest}`, Promise.resolve('uploaded'));
    ctx.log('debug', `blob ${digest} uploaded while it was written (${ref.name})`);
    return 'uploaded';
  } catch (error) {
    chunks.destroy();
    if (location !== undefined) await cancelUpload(ctx, ref.registry, ref.repository, location);
    throw error;
  }
}

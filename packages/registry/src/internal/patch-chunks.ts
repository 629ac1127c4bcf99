import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobSource } from '../push.js';
import type { Reference } from '../reference.js';
import { RegistryError } from '../registry-error.js';
import { backoffDelay } from '../transport/retry-policy.js';
import { uploadLocation } from '../upload-sessions.js';
import type { ClientContext } from './context.js';

/**
 * Sends a blob into an upload session in PATCH chunks of `chunkSize` bytes (the registry's
 * `Location` after each one is the next URL); returns the URL the closing PUT goes to.
 */
export async function patchChunks(
  ctx: ClientContext,
  ref: Reference,
  blob: BlobSource,
  location: URL,
  chunkSize: number,
  scopes: string[],
  operation: string,
): Promise<URL> {
  let offset = 0;
  const patch = async (piece: Buffer, start: number) => {
    const response = await ctx.transport.send({
      method: 'PATCH',
      registry: ref.registry,
      url: location.href,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(piece.length),
        'content-range': `${start}-${start + piece.length - 1}`,
      },
      body: () => piece,
      scopes,
      operation,
      expect: [202],
      retry: false,
    });
    await response.body.dump();
    location = uploadLocation(response.headers.location, location, operation, ref.registry);
  };
  // A failed PATCH is resumed from the offset the registry reports for the session (the chunk is
  // still in memory); when the registry cannot say, the error goes up and the upload restarts.
  const send = async (chunk: Buffer) => {
    let have = offset;
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await patch(chunk.subarray(have - offset), have);
        offset += chunk.length;
        return;
      } catch (error) {
        const delay = backoffDelay(ctx.retry, attempt);
        const retryable = error instanceof RegistryError && error.retryable;
        if (!retryable || attempt >= ctx.retry.maxAttempts || slept + delay > ctx.retry.maxTotalDelayMs)
          throw error;
        const reported = await uploadOffset(ctx, ref, location, scopes, operation).catch(() => undefined);
        if (reported === undefined || reported < offset || reported > offset + chunk.length) throw error;
        have = reported;
        ctx.log('warn', `${(error as Error).message}; resuming upload at byte ${have} in ${delay} ms`);
        slept += delay;
        await sleep(delay);
      }
    }
  };
  const source = await blob.open();
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i += chunkSize)
      await send(Buffer.from(source.subarray(i, i + chunkSize)));
    return location;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const piece of source as AsyncIterable<Buffer>) {
      pending.push(piece);
      pendingBytes += piece.length;
      while (pendingBytes >= chunkSize) {
        const all = Buffer.concat(pending);
        await send(all.subarray(0, chunkSize));
        pending = [all.subarray(chunkSize)];
        pendingBytes = all.length - chunkSize;
      }
    }
  } finally {
    source.destroy();
  }
  if (pendingBytes > 0) await send(Buffer.concat(pending));
  return location;
}

/** Bytes the registry holds for an upload session (`GET <location>` → `Range: 0-<last>`). */
async function uploadOffset(
  ctx: ClientContext,
  ref: Reference,
  location: URL,
  scopes: string[],
  operation: string,
): Promise<number | undefined> {
  const response = await ctx.transport.send({
    method: 'GET',
    registry: ref.registry,
    url: location.href,
    scopes,
    operation: `${operation}: checking upload status`,
    expect: [204, 200],
  });
  await response.body.dump();
  const last = /^(?:bytes=)?0-(-?\d+)$/.exec(response.headers.range ?? '')?.[1];
  return last === undefined ? undefined : Number(last) + 1;
}

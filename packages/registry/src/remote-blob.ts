import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Descriptor } from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { type ClientContext, v2Path } from './internal/context.js';
import type { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';
import { backoffDelay, isRetryableNetworkError } from './transport/retry-policy.js';

/**
 * Streams a blob. When the connection drops mid-body the download resumes with a `Range` request
 * from the last byte received (restarting, and skipping what was seen, if the registry ignores
 * `Range`), within the retry policy. The bytes are not verified here: the `Layer` view pipes them
 * through a verifying stream, so a corrupt blob errors instead of ending.
 */
export function openBlob(ctx: ClientContext, ref: Reference, descriptor: Descriptor): Readable {
  const operation = `pulling blob ${descriptor.digest} from ${ref.name}`;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let offset = 0;
    let failures = 0;
    let slept = 0;
    for (;;) {
      const response = await ctx.transport.send({
        method: 'GET',
        registry: ref.registry,
        url: v2Path(ref, `blobs/${descriptor.digest}`),
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        scopes: [repositoryScope(ref.repository, 'pull')],
        operation,
        expect: offset > 0 ? [200, 206] : [200],
      });
      let skip = offset > 0 && response.status === 200 ? offset : 0;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          let piece = chunk;
          if (skip > 0) {
            const dropped = Math.min(skip, piece.length);
            skip -= dropped;
            piece = piece.subarray(dropped);
            if (piece.length === 0) continue;
          }
          offset += piece.length;
          yield piece;
        }
        if (offset >= descriptor.size) return;
        throw Object.assign(new Error(`body ended after ${offset} of ${descriptor.size} bytes`), {
          code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
        });
      } catch (error) {
        response.body.destroy();
        failures++;
        const delay = backoffDelay(ctx.retry, failures);
        if (
          !isRetryableNetworkError(error) ||
          failures >= ctx.retry.maxAttempts ||
          slept + delay > ctx.retry.maxTotalDelayMs
        ) {
          throw new RegistryError('NETWORK', `${operation}: ${(error as Error).message} at byte ${offset}`, {
            registry: ref.registry,
            cause: error,
          });
        }
        ctx.log(
          'warn',
          `${operation}: ${(error as Error).message} at byte ${offset}; resuming in ${delay} ms`,
        );
        slept += delay;
        await sleep(delay);
      }
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 });
}

/** True when the repository has the blob (HEAD). */
export async function blobExists(
  ctx: ClientContext,
  ref: Reference,
  descriptor: Descriptor,
): Promise<boolean> {
  const response = await ctx.transport.send({
    method: 'HEAD',
    registry: ref.registry,
    url: v2Path(ref, `blobs/${descriptor.digest}`),
    scopes: [repositoryScope(ref.repository, 'pull', 'push')],
    operation: `checking blob ${descriptor.digest} in ${ref.name}`,
    expect: [200, 404],
  });
  await response.body.dump();
  return response.status === 200;
}

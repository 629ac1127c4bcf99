import { repositoryScope } from './auth/authenticator.js';
import type { ClientContext } from './internal/context.js';
import type { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';

/**
 * Upload sessions opened by `checkPushPermission` are kept instead of cancelled: the first upload
 * to that repository uses one and skips its own POST, so the push after a build is a round trip
 * shorter. Sessions nobody used are cancelled by `RegistryClient.close()`.
 */
export function keepUploadSession(ctx: ClientContext, ref: Reference, location: URL): void {
  const sessions = ctx.idleUploads.get(ref.name) ?? [];
  sessions.push(location);
  ctx.idleUploads.set(ref.name, sessions);
}

/** True when an idle session of `ref`'s repository is waiting. */
export function hasUploadSession(ctx: ClientContext, ref: Reference): boolean {
  return (ctx.idleUploads.get(ref.name)?.length ?? 0) > 0;
}

/** An idle session of `ref`'s repository, taken out of the pool (at most one user each). */
export function takeUploadSession(ctx: ClientContext, ref: Reference): URL | undefined {
  const sessions = ctx.idleUploads.get(ref.name);
  const location = sessions?.shift();
  if (sessions?.length === 0) ctx.idleUploads.delete(ref.name);
  return location;
}

/** Cancels the sessions nobody used (`DELETE`, once, failures only logged). */
export async function cancelUploadSessions(ctx: ClientContext): Promise<void> {
  const all = [...ctx.idleUploads.entries()];
  ctx.idleUploads.clear();
  await Promise.all(
    all.flatMap(([name, locations]) =>
      locations.map(async (location) => {
        const registry = name.slice(0, name.indexOf('/'));
        const repository = name.slice(name.indexOf('/') + 1);
        try {
          const response = await ctx.transport.send({
            method: 'DELETE',
            registry,
            url: location.href,
            scopes: [repositoryScope(repository, 'pull', 'push')],
            operation: `cancelling upload in ${name}`,
            expect: [204, 200, 202, 404],
            retry: false,
          });
          await response.body.dump();
        } catch (error) {
          ctx.log('debug', (error as Error).message);
        }
      }),
    ),
  );
}

/** The session URL of an upload response (`Location`, relative to the request URL). */
export function uploadLocation(
  value: string | undefined,
  base: URL,
  operation: string,
  registry: string,
): URL {
  if (value === undefined || value === '') {
    throw new RegistryError('INVALID_RESPONSE', `${operation}: upload response has no Location header`, {
      registry,
    });
  }
  return new URL(value, base);
}

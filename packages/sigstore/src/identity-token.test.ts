import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityProvider, identityTokenSource } from './identity-token.js';

const gh = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'http://gh.invalid/token?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req',
};

function fakeFetch(responses: Response[], seen: { url: string; auth: string | null }[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next;
  }) as typeof fetch;
}

describe('identity token sources, in order', () => {
  it('prefers an explicit token, then a file, then GitHub Actions, then SIGSTORE_ID_TOKEN', () => {
    const env = { ...gh, SIGSTORE_ID_TOKEN: 'env' };
    expect(identityTokenSource({ token: 't', tokenFile: '/f', env })).toBe('explicit');
    expect(identityTokenSource({ tokenFile: '/f', env })).toBe('file');
    expect(identityTokenSource({ env })).toBe('github-actions');
    expect(identityTokenSource({ env: { SIGSTORE_ID_TOKEN: 'env' } })).toBe('SIGSTORE_ID_TOKEN');
    expect(identityTokenSource({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'x' } })).toBeUndefined();
  });

  it('reads a token file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaniko-ts-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'file-token\n');
      expect(await identityProvider({ tokenFile: join(dir, 'token') }).getToken()).toBe('file-token');
      await expect(identityProvider({ tokenFile: join(dir, 'missing') }).getToken()).rejects.toThrow(
        /cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks GitHub Actions with audience sigstore and the bearer token, retrying 5xx', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const fetch = fakeFetch([new Response('', { status: 503 }), Response.json({ value: 'jwt-value' })], seen);
    const provider = identityProvider({ env: gh, fetch });
    expect(await provider.getToken()).toBe('jwt-value');
    expect(await provider.getToken()).toBe('jwt-value');
    expect(seen).toHaveLength(2);
    const url = new URL(seen[1]?.url ?? '');
    expect(url.searchParams.get('audience')).toBe('sigstore');
    expect(url.searchParams.get('api-version')).toBe('2.0');
    expect(seen[1]?.auth).toBe('bearer req');
  });

  it('does not retry a 4xx and never puts the request token in the error', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const provider = identityProvider({
      env: { ...gh, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'secret-req-token' },
      fetch: fakeFetch([new Response('', { status: 403 })], seen),
    });
    const e = await provider.getToken().catch((err: unknown) => err as Error);
    expect(seen).toHaveLength(1);
    expect((e as Error).message).toMatch(/HTTP 403/);
    expect((e as Error).message).not.toContain('secret-req-token');
  });

  it('explains what is missing when there is no source', async () => {
    await expect(identityProvider({ env: {} }).getToken()).rejects.toThrow(/no OIDC token/);
  });
});

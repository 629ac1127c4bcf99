import { describe, expect, it } from 'vitest';
import { RegistryError } from '../registry-error.js';
import { Authenticator, type TokenFetch } from './authenticator.js';
import { Credentials } from './credentials.js';
import { StaticKeychain } from './keychain.js';

const challenge =
  'Bearer realm="https://auth.example/token",service="reg.example",scope="repository:app:pull"';

function fakeTokenServer(status = 200) {
  const calls: { url: URL; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetch: TokenFetch = async (url, init) => {
    calls.push({ url, ...init });
    if (status !== 200) return { status, text: '{"errors":[{"code":"UNAUTHORIZED","message":"nope"}]}' };
    return { status, text: JSON.stringify({ token: `t${calls.length}`, expires_in: 60 }) };
  };
  return { calls, fetch };
}

describe('Authenticator', () => {
  it('fetches a scoped token with basic credentials and caches it until it expires', async () => {
    let now = 1_000_000;
    const server = fakeTokenServer();
    const keychain = new StaticKeychain([['reg.example', Credentials.basic('u', 'p')]]);
    const auth = new Authenticator(keychain, server.fetch, () => now);
    expect(await auth.authorization('reg.example', ['repository:app:pull'], 'op')).toBeUndefined();
    expect(await auth.handleChallenge('reg.example', challenge, ['repository:app:pull'], 'op')).toBe(true);
    expect(server.calls).toHaveLength(1);
    const call = server.calls[0]!;
    expect(call.url.searchParams.get('service')).toBe('reg.example');
    expect(call.url.searchParams.getAll('scope')).toEqual(['repository:app:pull']);
    expect(call.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await auth.authorization('reg.example', ['repository:app:pull'], 'op')).toBe('Bearer t1');
    expect(server.calls).toHaveLength(1);
    // another scope: another token
    expect(await auth.authorization('reg.example', ['repository:app:pull,push'], 'op')).toBe('Bearer t2');
    // expiry (60 s minus a 10 s margin) forces a new token
    now += 51_000;
    expect(await auth.authorization('reg.example', ['repository:app:pull'], 'op')).toBe('Bearer t3');
  });

  it('shares one token request between concurrent callers', async () => {
    const server = fakeTokenServer();
    const auth = new Authenticator(new StaticKeychain([]), server.fetch);
    await auth.handleChallenge('reg.example', challenge, ['repository:app:pull'], 'op');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => auth.authorization('reg.example', ['repository:x:pull'], 'op')),
    );
    expect(new Set(results).size).toBe(1);
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]?.headers.authorization).toBeUndefined();
  });

  it('posts identity tokens as an OAuth2 refresh grant and uses registry tokens as they are', async () => {
    const server = fakeTokenServer();
    const auth = new Authenticator(
      new StaticKeychain([
        ['id.example', Credentials.identityToken('refresh-secret')],
        ['rt.example', Credentials.registryToken('ready-token')],
      ]),
      server.fetch,
    );
    await auth.handleChallenge('id.example', challenge, ['repository:app:pull'], 'op');
    expect(server.calls[0]?.method).toBe('POST');
    const form = new URLSearchParams(server.calls[0]?.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe('refresh-secret');
    expect(form.get('scope')).toBe('repository:app:pull');
    await auth.handleChallenge('rt.example', challenge, ['repository:app:pull'], 'op');
    expect(await auth.authorization('rt.example', ['repository:app:pull'], 'op')).toBe('Bearer ready-token');
    expect(server.calls).toHaveLength(1);
  });

  it('answers Basic challenges only when it has credentials', async () => {
    const auth = new Authenticator(
      new StaticKeychain([['b.example', Credentials.basic('u', 'p')]]),
      fakeTokenServer().fetch,
    );
    expect(await auth.handleChallenge('b.example', 'Basic realm="x"', [], 'op')).toBe(true);
    expect(await auth.authorization('b.example', [], 'op')).toMatch(/^Basic /);
    expect(await auth.handleChallenge('none.example', 'Basic realm="x"', [], 'op')).toBe(false);
    expect(await auth.handleChallenge('none.example', undefined, [], 'op')).toBe(false);
  });

  it('turns a refused token request into UNAUTHORIZED naming the token server', async () => {
    const server = fakeTokenServer(401);
    const auth = new Authenticator(
      new StaticKeychain([['reg.example', Credentials.basic('u', 'pw-secret')]]),
      server.fetch,
    );
    const error = await auth
      .handleChallenge('reg.example', challenge, [], 'pulling x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toBe(
      'pulling x: fetching token from auth.example: 401 unauthorized: nope',
    );
    expect(JSON.stringify(error)).not.toContain('pw-secret');
  });
});

describe('Authenticator credential lookups', () => {
  it('asks the keychain once per registry, not once per request', async () => {
    let lookups = 0;
    const keychain = {
      resolve: async () => {
        lookups++;
        return Credentials.basic('u', 'p');
      },
    };
    const auth = new Authenticator(keychain, fakeTokenServer().fetch);
    await auth.handleChallenge('b.example', 'Basic realm="x"', [], 'op');
    for (let i = 0; i < 10; i++) await auth.authorization('b.example', [], 'op');
    expect(lookups).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenge.js';

describe('parseChallenges', () => {
  it('parses a Docker Hub bearer challenge', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/ubuntu:pull',
        },
      },
    ]);
  });

  it('parses basic, lower-cases scheme and keys, keeps unquoted values', () => {
    expect(parseChallenges('BASIC Realm=registry')).toEqual([
      { scheme: 'basic', params: { realm: 'registry' } },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted strings', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://a/t",scope="repository:a:pull,push repository:b:pull",x="q\\"d"',
    );
    expect(c?.params.scope).toBe('repository:a:pull,push repository:b:pull');
    expect(c?.params.x).toBe('q"d');
  });

  it('splits several challenges in one header', () => {
    const all = parseChallenges('Basic realm="r1", Bearer realm="https://t/", service="s" , Negotiate abc==');
    expect(all.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate']);
    expect(all[1]?.params).toEqual({ realm: 'https://t/', service: 's' });
    expect(all[2]?.params).toEqual({ token68: 'abc==' });
  });

  it('returns nothing for an empty header', () => {
    expect(parseChallenges('')).toEqual([]);
  });
});

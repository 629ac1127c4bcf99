import { describe, expect, it } from 'vitest';
import { parseReference } from './reference.js';
import { RegistryError } from './registry-error.js';

const hex = 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['ubuntu', 'index.docker.io', 'library/ubuntu', 'latest', undefined],
    ['docker.io/ubuntu:22.04', 'index.docker.io', 'library/ubuntu', '22.04', undefined],
    ['registry-1.docker.io/user/app', 'index.docker.io', 'user/app', 'latest', undefined],
    ['user/app:v1', 'index.docker.io', 'user/app', 'v1', undefined],
    ['localhost/x', 'localhost', 'x', 'latest', undefined],
    ['localhost:5000/x', 'localhost:5000', 'x', 'latest', undefined],
    ['127.0.0.1:5000/a/b/c:tag', '127.0.0.1:5000', 'a/b/c', 'tag', undefined],
    ['Example.COM/x', 'example.com', 'x', 'latest', undefined],
    ['ghcr.io/o/r@sha256:' + hex, 'ghcr.io', 'o/r', undefined, 'sha256:' + hex],
    ['ghcr.io/o/r:1.0@sha256:' + hex, 'ghcr.io', 'o/r', '1.0', 'sha256:' + hex],
    ['[::1]:5000/x:y', '[::1]:5000', 'x', 'y', undefined],
    ['a__b/c-d.e_f---g:T_a.g-1', 'index.docker.io', 'a__b/c-d.e_f---g', 'T_a.g-1', undefined],
  ])('%s', (input, registry, repository, tag, digest) => {
    const ref = parseReference(input);
    expect(ref.registry).toBe(registry);
    expect(ref.repository).toBe(repository);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
  });

  it.each([
    ['', 'empty'],
    ['Bad_Host/x', 'invalid registry'],
    ['ubuntu:', 'tag'],
    ['ubuntu:-bad', 'tag'],
    ['ubuntu@sha256:abc', 'digest'],
    ['ubuntu@sha256:' + 'A'.repeat(64), 'digest'],
    ['ubuntu@md5:' + 'a'.repeat(32), 'unsupported digest algorithm'],
    ['host:99999/x', 'port'],
    ['host:5000/', 'missing repository'],
    ['a//b', 'repository'],
    ['a/-b', 'repository'],
    ['Ubuntu', 'lowercase'],
    ['has space', 'whitespace'],
    [`x/${'a'.repeat(260)}`, '255'],
  ])('rejects %j with a message about %s', (input, why) => {
    let error: unknown;
    try {
      parseReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('INVALID_REFERENCE');
    expect((error as RegistryError).message).toContain(why);
    expect((error as RegistryError).message).toMatch(/^parsing reference /);
  });

  it('formats canonical and familiar forms', () => {
    expect(parseReference('ubuntu').toString()).toBe('index.docker.io/library/ubuntu:latest');
    expect(parseReference('ubuntu').toFamiliarString()).toBe('ubuntu:latest');
    expect(parseReference('docker.io/user/app:1').toFamiliarString()).toBe('user/app:1');
    const pinned = parseReference(`localhost:5000/x:t@sha256:${hex}`);
    expect(pinned.toString()).toBe(`localhost:5000/x:t@sha256:${hex}`);
    expect(pinned.identifier).toBe(`sha256:${hex}`);
    expect(pinned.withTag('u').toString()).toBe('localhost:5000/x:u');
    expect(pinned.withDigest(`sha256:${'b'.repeat(64)}`).identifier).toBe(`sha256:${'b'.repeat(64)}`);
    expect(JSON.stringify({ ref: parseReference('a/b') })).toBe('{"ref":"index.docker.io/a/b:latest"}');
  });

  it('round-trips every parsed reference through toString', () => {
    for (const input of ['busybox', 'quay.io/a/b:c', `h:1/x@sha256:${hex}`, 'localhost/a_b']) {
      const once = parseReference(input);
      expect(parseReference(once.toString())).toEqual(once);
    }
  });

  it('honours a default registry and tag', () => {
    const ref = parseReference('app', { defaultRegistry: '127.0.0.1:5000', defaultTag: 'dev' });
    expect(ref.toString()).toBe('127.0.0.1:5000/app:dev');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPurl, parsePurl } from './package-url.js';

describe('package URLs', () => {
  it('encodes as the purl spec examples do', () => {
    expect(
      formatPurl({
        type: 'deb',
        namespace: 'debian',
        name: 'attr',
        version: '1:2.4.47-2+b1',
        qualifiers: { arch: 'amd64' },
      }),
    ).toBe('pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64');
    expect(formatPurl({ type: 'npm', namespace: '@angular', name: 'animation', version: '12.3.1' })).toBe(
      'pkg:npm/%40angular/animation@12.3.1',
    );
    expect(formatPurl({ type: 'pypi', name: 'Django_Allauth', version: '0.1' })).toBe(
      'pkg:pypi/django-allauth@0.1',
    );
    expect(
      formatPurl({ type: 'golang', namespace: 'github.com/gorilla', name: 'context', version: 'v1.1.1' }),
    ).toBe('pkg:golang/github.com/gorilla/context@v1.1.1');
    expect(
      formatPurl({
        type: 'rpm',
        namespace: 'fedora',
        name: 'curl',
        version: '7.50.3-1.fc25',
        qualifiers: { distro: 'fedora-25', arch: 'i386' },
      }),
    ).toBe('pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25');
    expect(
      formatPurl({
        type: 'oci',
        name: 'app',
        version: 'sha256:ab',
        qualifiers: { repository_url: 'r.io/team/app' },
      }),
    ).toBe('pkg:oci/app@sha256:ab?repository_url=r.io%2Fteam%2Fapp');
  });

  it('parses what tools write differently (unencoded +, %3A, unsorted qualifiers)', () => {
    const a = parsePurl('pkg:deb/debian/libc6@2.36-9+deb12u4?distro=debian-12&arch=amd64');
    const b = parsePurl('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12');
    expect(a).toEqual(b);
    expect(a).toMatchObject({ type: 'deb', namespace: 'debian', name: 'libc6', version: '2.36-9+deb12u4' });
    expect(parsePurl('pkg:oci/debian@sha256%3A244f?tag=x').version).toBe('sha256:244f');
    expect(() => parsePurl('deb/debian/x')).toThrow(/scheme/);
    expect(() => parsePurl('pkg:deb')).toThrow();
  });

  it('round-trips arbitrary names, versions and qualifier values', () => {
    const seg = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => !s.includes('/') && s !== '.' && s !== '..');
    fc.assert(
      fc.property(seg, seg, fc.option(seg, { nil: undefined }), seg, (name, version, ns, q) => {
        const purl = formatPurl({ type: 'generic', namespace: ns, name, version, qualifiers: { k: q } });
        const parsed = parsePurl(purl);
        expect(parsed.name).toBe(name);
        expect(parsed.version).toBe(version);
        expect(parsed.namespace).toBe(ns);
        expect(parsed.qualifiers?.k).toBe(q);
        expect(formatPurl(parsed)).toBe(purl);
      }),
    );
  });
});

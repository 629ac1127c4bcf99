import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { catalogLayers } from './catalog.js';
import type { LayerTar } from './layered-view-options.js';

type Entry = {
  path: string;
  data?: string;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
  mode?: number;
};

async function layer(entries: Entry[]): Promise<LayerTar> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: e.path, type, mode: e.mode ?? 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) },
        Buffer.from(e.data ?? ''),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return {
    diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
    open: async () => Readable.from([tar]),
  };
}

const para = (name: string, version: string, status = 'install ok installed') =>
  `Package: ${name}\nStatus: ${status}\nVersion: ${version}\nArchitecture: amd64\n\n`;
const pkgJson = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });
const source = { name: 'example.com/app:1' };

describe('layered view: whiteouts and first-introduction attribution', () => {
  it('attributes dpkg packages to the first layer of continuous presence and skips deinstalled ones', async () => {
    const l1 = await layer([
      { path: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
      { path: 'var/lib/dpkg/status', data: para('a', '1') + para('b', '1') },
    ]);
    const l2 = await layer([
      { path: 'var/lib/dpkg/status', data: para('a', '1') + para('b', '1') + para('c', '1') },
    ]);
    // b upgraded, c removed then re-added, d deinstalled (rc state).
    const l3 = await layer([
      {
        path: 'var/lib/dpkg/status',
        data: para('a', '1') + para('b', '2') + para('d', '1', 'deinstall ok config-files'),
      },
    ]);
    const l4 = await layer([
      {
        path: 'var/lib/dpkg/status',
        data: para('a', '1') + para('b', '2') + para('c', '1') + para('d', '1', 'deinstall ok config-files'),
      },
    ]);
    const inv = await catalogLayers([l1, l2, l3, l4], { source });
    const layerOf = Object.fromEntries(inv.packages.map((p) => [`${p.name}@${p.version}`, p.layer]));
    expect(layerOf).toEqual({ 'a@1': l1.diffId, 'b@2': l3.diffId, 'c@1': l4.diffId });
    expect(inv.packages[0]!.purl).toBe('pkg:deb/debian/a@1?arch=amd64&distro=debian-12');
  });

  it('applies .wh. and opaque whiteouts, keeps same-layer content, attributes unchanged rewrites to the first write', async () => {
    const l1 = await layer([
      { path: 'app/node_modules/x/package.json', data: pkgJson('x', '1.0.0') },
      { path: 'app/node_modules/y/package.json', data: pkgJson('y', '1.0.0') },
      { path: 'opt/lib/node_modules/z/package.json', data: pkgJson('z', '1.0.0') },
      { path: 'srv/node_modules/w/package.json', data: pkgJson('w', '1.0.0') },
    ]);
    const l2 = await layer([
      { path: 'app/node_modules/x/package.json', data: pkgJson('x', '1.0.0') }, // identical rewrite
      { path: 'app/node_modules/.wh.y' },
      { path: 'opt/lib/node_modules/.wh..wh..opq' },
      { path: 'opt/lib/node_modules/v/package.json', data: pkgJson('v', '2.0.0') },
      { path: 'srv/node_modules/w/package.json', data: pkgJson('w', '1.1.0') }, // changed rewrite
      { path: 'srv/node_modules/w/lib/node_modules/fake/index.js', data: '' },
      { path: 'srv/node_modules/w/sub/package.json', data: pkgJson('not-a-root', '9.9.9') },
    ]);
    const inv = await catalogLayers([l1, l2], { source });
    const got = Object.fromEntries(inv.packages.map((p) => [`${p.name}@${p.version}`, p.layer]));
    expect(got).toEqual({ 'x@1.0.0': l1.diffId, 'v@2.0.0': l2.diffId, 'w@1.1.0': l2.diffId });
  });

  it('finds the apk database behind a usr-merged /lib symlink and the distro from a symlinked os-release', async () => {
    const l1 = await layer([
      { path: 'lib', type: 'symlink', linkname: 'usr/lib' },
      { path: 'usr/lib/os-release', data: 'ID=wolfi\nVERSION_ID=20230201\n' },
      { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      {
        path: 'usr/lib/apk/db/installed',
        data: 'P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\no:busybox\n\nP:ca-certificates-bundle\nV:20240315-r0\nA:x86_64\nL:MPL-2.0 AND MIT\no:ca-certificates\n\n',
      },
    ]);
    const inv = await catalogLayers([l1], { source });
    expect(inv.distro?.id).toBe('wolfi');
    expect(inv.packages.map((p) => p.purl)).toEqual([
      'pkg:apk/wolfi/busybox@1.36.1-r5?arch=x86_64&distro=wolfi-20230201',
      'pkg:apk/wolfi/ca-certificates-bundle@20240315-r0?arch=x86_64&distro=wolfi-20230201&upstream=ca-certificates',
    ]);
    expect(inv.packages[1]!.licenses).toEqual([{ expression: 'MPL-2.0 AND MIT' }]);
  });

  it('reads distroless status.d files (no Status line) and skips md5sums', async () => {
    const l1 = await layer([
      {
        path: 'var/lib/dpkg/status.d/libc6',
        data: 'Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n',
      },
      { path: 'var/lib/dpkg/status.d/libc6.md5sums', data: 'abc  usr/lib/x\n' },
      {
        path: 'var/lib/dpkg/status.d/tzdata',
        data: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n',
      },
    ]);
    const inv = await catalogLayers([l1], { source });
    expect(inv.packages.map((p) => [p.name, p.metadata.source])).toEqual([
      ['libc6', 'glibc'],
      ['tzdata', 'tzdata'],
    ]);
    expect(inv.packages[0]!.purl).toContain('upstream=glibc');
  });
});

describe('buildCataloger (catalogue while building)', () => {
  it('takes layers one at a time with a diffID known only after streaming', async () => {
    const { buildCataloger } = await import('./catalog.js');
    const l1 = await layer([
      {
        path: 'usr/lib/python3/dist-packages/Foo_Bar.dist-info/METADATA',
        data: 'Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nLicense-Expression: MIT\n\nbody',
      },
    ]);
    const l2 = await layer([
      {
        path: 'usr/lib/python3/dist-packages/six-1.16.0.egg-info',
        data: 'Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n',
      },
    ]);
    const builder = buildCataloger();
    let computed = false;
    const lazy = () => {
      computed = true;
      return l1.diffId as string;
    };
    await builder.addLayer({ diffId: lazy, open: l1.open });
    expect(computed).toBe(true);
    await builder.addLayer(l2);
    const inv = await builder.inventory({ name: 'built' });
    expect(inv.layers).toEqual([l1.diffId, l2.diffId]);
    expect(inv.packages.map((p) => [p.purl, p.layer])).toEqual([
      ['pkg:pypi/foo-bar@1.0', l1.diffId],
      ['pkg:pypi/six@1.16.0', l2.diffId],
    ]);
  });
});

describe('buildCataloger.record (layers read out of order while the builder streams them)', () => {
  it('recorded layers added in image order give the same inventory as streaming them in order', async () => {
    const { buildCataloger } = await import('./catalog.js');
    const l1 = await layer([
      { path: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
      { path: 'var/lib/dpkg/status', data: para('a', '1') + para('b', '1') },
      { path: 'app/node_modules/left/package.json', data: pkgJson('left', '1.0.0') },
      { path: 'app/node_modules/gone/package.json', data: pkgJson('gone', '2.0.0') },
    ]);
    const l2 = await layer([
      { path: 'var/lib/dpkg/status', data: para('a', '1') + para('b', '2') + para('c', '1') },
      { path: 'app/node_modules/.wh.gone', data: '' },
      { path: 'app/node_modules/right/package.json', data: pkgJson('right', '3.0.0') },
    ]);
    const l3 = await layer([
      { path: 'usr/lib/python3/dist-packages/.wh..wh..opq', data: '' },
      { path: 'app/node_modules/linked/package.json', type: 'symlink', linkname: '/nowhere' },
    ]);
    const expected = await catalogLayers([l1, l2, l3], { source });
    const cataloger = buildCataloger();
    // Recorded in reverse order, as a builder may stream a later stage's base first.
    const r3 = await cataloger.record(l3);
    const r2 = await cataloger.record(l2);
    const r1 = await cataloger.record(l1);
    for (const [l, r] of [
      [l1, r1],
      [l2, r2],
      [l3, r3],
    ] as const)
      cataloger.addRecorded(l.diffId as string, r);
    const got = await cataloger.inventory(source);
    expect(got).toEqual(expected);
    expect(got.packages.map((p) => [p.purl.replace(/\?.*$/, ''), p.layer])).toEqual([
      ['pkg:deb/debian/a@1', l1.diffId],
      ['pkg:deb/debian/b@2', l2.diffId],
      ['pkg:deb/debian/c@1', l2.diffId],
      ['pkg:npm/left@1.0.0', l1.diffId],
      ['pkg:npm/right@3.0.0', l2.diffId],
    ]);
  });
});

describe('layer errors', () => {
  it('a truncated layer tar fails with LAYER_READ naming the layer', async () => {
    const l1 = await layer([{ path: 'var/lib/dpkg/status', data: para('a', '1'.repeat(2000)) }]);
    const full = Buffer.concat(
      await (async () => {
        const chunks: Buffer[] = [];
        for await (const c of (await l1.open()) as AsyncIterable<Buffer>) chunks.push(c);
        return chunks;
      })(),
    );
    const broken = { diffId: l1.diffId, open: async () => Readable.from([full.subarray(0, 700)]) };
    await expect(catalogLayers([broken], { source })).rejects.toMatchObject({
      code: 'LAYER_READ',
      message: expect.stringContaining(l1.diffId as string),
    });
  });
});

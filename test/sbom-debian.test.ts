import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogDirectory, catalogLayers, parsePurl, toCycloneDx, toSpdx } from '@kaniko-ts/sbom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecked } from './harness/index.js';
import { accuracy } from './sbom/compare.js';
import { type DebianBase, debianBase, debianDebPurl, dpkgQuery } from './sbom/fixtures.js';
import { gzipFileLayer, hostFiles, memoryLayer, packLayer } from './sbom/layers.js';
import { cycloneDxErrors, spdxErrors } from './sbom/validate.js';

const CREATED = '2025-01-01T00:00:00Z';
let base: DebianBase;
let work: string;

beforeAll(async () => {
  base = await debianBase();
  work = await mkdtemp(join(tmpdir(), 'kaniko-ts-sbom-debian-'));
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Debian minbase (mmdebstrap) against dpkg-query', () => {
  it('directory: recall and precision 100 % by parsed purl (name, version, arch)', async () => {
    const truth = await dpkgQuery(base.root);
    expect(truth.length).toBeGreaterThan(80);
    const inv = await catalogDirectory(base.root, { name: 'debian-minbase' });
    const debs = inv.packages.filter((p) => p.type === 'deb');
    const acc = accuracy(
      debs.map((p) => p.purl),
      truth.map(debianDebPurl),
      ['arch'],
    );
    expect(acc.missing).toEqual([]);
    expect(acc.extra).toEqual([]);
    expect(inv.distro).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm' });
    for (const p of debs) expect(parsePurl(p.purl).qualifiers?.distro).toBe('debian-12');
    // Licenses come from DEP-5 copyright files: every copyright with a License field yields one.
    let withLicenseField = 0;
    for (const p of debs) {
      const file = join(base.root, 'usr/share/doc', p.name, 'copyright');
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (/^License:[ \t]*\S/m.test(text)) {
        withLicenseField++;
        expect(p.licenses.length, p.name).toBeGreaterThan(0);
      }
    }
    expect(withLicenseField).toBeGreaterThan(20);
    expect(debs.find((p) => p.name === 'libc6')?.metadata.source).toBe('glibc');
  });

  it('image layers: same packages, attributed to the layer that introduced them, documents valid', async () => {
    const truthBase = await dpkgQuery(base.root);
    // Layer 2: a real .deb built with dpkg-deb and installed with dpkg into a copy of the root.
    const pkgDir = join(work, 'pkg');
    await mkdir(join(pkgDir, 'DEBIAN'), { recursive: true });
    await mkdir(join(pkgDir, 'usr/share/doc/sbom-extra'), { recursive: true });
    await writeFile(
      join(pkgDir, 'DEBIAN/control'),
      'Package: sbom-extra\nVersion: 1:1.0-1+b2\nArchitecture: all\nMaintainer: kaniko-ts <t@example.com>\nDescription: sbom fixture\n',
    );
    await writeFile(
      join(pkgDir, 'usr/share/doc/sbom-extra/copyright'),
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2025 x\nLicense: Expat\n',
    );
    await runChecked('dpkg-deb', ['--build', '--root-owner-group', pkgDir, join(work, 'extra.deb')]);
    const copy = join(work, 'root');
    await cp(join(base.root, 'var/lib/dpkg'), join(copy, 'var/lib/dpkg'), { recursive: true });
    await runChecked('dpkg', [
      `--admindir=${join(copy, 'var/lib/dpkg')}`,
      `--instdir=${copy}`,
      '--force-not-root',
      '--force-script-chrootless',
      '-i',
      join(work, 'extra.deb'),
    ]);
    const truth = await dpkgQuery(copy);
    expect(truth.length).toBe(truthBase.length + 1);
    const layer2 = await packLayer(
      await hostFiles(copy, [
        '/var/lib/dpkg/status',
        '/usr/share/doc/sbom-extra/copyright',
        '/var/lib/dpkg/info/sbom-extra.list',
      ]),
    );
    // Layer 3 rewrites the status file unchanged and deletes a file: attribution must not move.
    const layer3 = await packLayer([
      ...(await hostFiles(copy, ['/var/lib/dpkg/status'])),
      { path: '/usr/share/doc/sbom-extra/.wh.nothing' },
    ]);
    // Catalogued twice (fresh layer streams each time) to check the documents are deterministic.
    const catalog = () =>
      catalogLayers([gzipFileLayer(base.layerBlob, base.diffId), memoryLayer(layer2), memoryLayer(layer3)], {
        source: {
          name: 'registry.example.com/sbom/debian:test',
          digest: base.manifestDigest,
          architecture: 'amd64',
          repository: 'registry.example.com/sbom/debian',
        },
      });
    const inv = await catalog();
    const debs = inv.packages.filter((p) => p.type === 'deb');
    const acc = accuracy(
      debs.map((p) => p.purl),
      truth.map(debianDebPurl),
      ['arch'],
    );
    expect(acc).toMatchObject({ recall: 1, precision: 1 });
    expect(inv.layers).toEqual([base.diffId, layer2.diffId, layer3.diffId]);
    const extra = debs.find((p) => p.name === 'sbom-extra');
    expect(extra?.layer).toBe(layer2.diffId);
    expect(extra?.licenses).toEqual([{ expression: 'MIT' }]);
    expect(parsePurl(extra!.purl).version).toBe('1:1.0-1+b2');
    expect(extra!.purl).toContain('%2Bb2');
    const inBase = new Set(truthBase.map((t) => t.name));
    for (const p of debs) if (inBase.has(p.name)) expect(p.layer, p.name).toBe(base.diffId);

    const spdx = toSpdx(inv, { created: CREATED });
    expect(spdxErrors(spdx)).toEqual([]);
    const cdx = toCycloneDx(inv, { created: CREATED });
    expect(await cycloneDxErrors(cdx)).toEqual([]);
    const components = (cdx.components as { purl?: string }[]).filter((c) => c.purl?.startsWith('pkg:deb/'));
    expect(components.length).toBe(truth.length);
    // Deterministic: the same layers give byte-identical documents.
    const again = await catalog();
    expect(JSON.stringify(toSpdx(again, { created: CREATED }))).toBe(JSON.stringify(spdx));
    expect(JSON.stringify(toCycloneDx(again, { created: CREATED }))).toBe(JSON.stringify(cdx));
  });
});

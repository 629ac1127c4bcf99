import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { deflateSync } from 'node:zlib';
import {
  catalogDirectory,
  catalogLayers,
  derivePolicy,
  ELF_SECTIONS,
  type InventoryWithWarnings,
  layeredView,
  parsePurl,
  retainPolicy,
  toCycloneDx,
  toSpdx,
} from '@kaniko-ts/sbom';
import { beforeAll, describe, expect, it } from 'vitest';
import { runChecked } from './harness/index.js';
import { accuracy } from './sbom/compare.js';
import {
  ensureSbomTools,
  goBinary,
  goVersionM,
  javaTree,
  mavenRepoCoordinates,
  npmLs,
  npmTree,
  pythonDistributions,
  pythonTree,
} from './sbom/fixtures.js';
import { hostTree, memoryLayer, packLayer } from './sbom/layers.js';
import { fedoraRpmPurl, rpmBdbRoot, rpmQa, rpmQaBdb, rpmRoot } from './sbom/rpm-fixtures.js';
import { cycloneDxErrors, spdxErrors } from './sbom/validate.js';

const CREATED = '2025-01-01T00:00:00Z';

beforeAll(async () => {
  await ensureSbomTools();
}, 900_000);

async function documentsValid(inv: InventoryWithWarnings): Promise<void> {
  expect(spdxErrors(toSpdx(inv, { created: CREATED }))).toEqual([]);
  expect(await cycloneDxErrors(toCycloneDx(inv, { created: CREATED }))).toEqual([]);
}

describe('language and rpm ecosystems against their own tools', () => {
  it('npm: node_modules from a real npm install equals npm ls --all', async () => {
    const dir = await npmTree();
    const truth = await npmLs(dir);
    expect(truth.length).toBeGreaterThanOrEqual(8);
    const inv = await catalogDirectory(dir, { name: 'npm-fixture' });
    const npm = inv.packages.filter((p) => p.type === 'npm');
    const expected = truth.map((t) => {
      const m = /^(@[^/]+)\/(.+)$/.exec(t.name);
      return { type: 'npm', ...(m ? { namespace: m[1]! } : {}), name: m?.[2] ?? t.name, version: t.version };
    });
    expect(
      accuracy(
        npm.map((p) => p.purl),
        expected,
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    // Two versions of ms (top level and nested under debug) are both reported.
    expect(
      npm
        .filter((p) => p.name === 'ms')
        .map((p) => p.version)
        .sort(),
    ).toEqual(['2.0.0', '2.1.3']);
    expect(npm.find((p) => p.namespace === '@sindresorhus')?.purl).toMatch(/^pkg:npm\/%40sindresorhus\/is@/);
    expect(npm.find((p) => p.name === 'semver')?.licenses).toEqual([{ expression: 'ISC' }]);
    await documentsValid(inv);
  });

  it('python: Debian dist-info / egg-info trees equal importlib.metadata', async () => {
    const dir = await pythonTree();
    const site = join(dir, 'root/usr/lib/python3/dist-packages');
    const truth = await pythonDistributions(site);
    expect(truth.length).toBeGreaterThanOrEqual(6);
    const inv = await catalogDirectory(join(dir, 'root'), { name: 'python-fixture' });
    const py = inv.packages.filter((p) => p.type === 'pypi');
    expect(
      accuracy(
        py.map((p) => p.purl),
        truth.map((t) => ({ type: 'pypi', name: t.name, version: t.version })),
      ),
    ).toMatchObject({
      recall: 1,
      precision: 1,
    });
    await documentsValid(inv);
  });

  it('go: modules of a binary built offline equal go version -m', async () => {
    const dir = await goBinary();
    const bin = join(dir, 'root/usr/local/bin/sbomhello');
    const truth = await goVersionM(bin);
    const inv = await catalogDirectory(join(dir, 'root'), { name: 'go-fixture' });
    const go = inv.packages.filter((p) => p.type === 'golang');
    const expected: { type: string; namespace?: string; name: string; version: string }[] = [];
    const split = (path: string, version: string) => {
      const i = path.lastIndexOf('/');
      return {
        type: 'golang',
        ...(i > 0 ? { namespace: path.slice(0, i) } : {}),
        name: path.slice(i + 1),
        version,
      };
    };
    for (const [i, m] of truth.mods.entries()) {
      if (m.kind === '=>') continue;
      const next = truth.mods[i + 1];
      // A replacement by a module version is what is compiled in; a directory replacement keeps the required one.
      const eff = next?.kind === '=>' && !next.path.startsWith('.') ? next : m;
      expected.push(split(eff.path, eff.version));
    }
    expected.push({ type: 'golang', name: 'stdlib', version: truth.go.replace(/^go/, '') });
    expect(truth.mods.some((m) => m.path === 'example.org/tools' && m.version === 'v1.4.2')).toBe(true);
    expect(
      accuracy(
        go.map((p) => p.purl),
        expected,
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    const main = go.find((p) => p.metadata.mainModule === 'true');
    expect(main?.namespace).toBe('example.com');
    expect(main?.evidence).toEqual(['/usr/local/bin/sbomhello']);
    await documentsValid(inv);
  });

  it('java: jars and a fat jar nesting them equal the maven-repo coordinates', async () => {
    const dir = await javaTree();
    const truth = await mavenRepoCoordinates(join(dir, 'root'));
    expect(truth.length).toBe(2);
    const inv = await catalogDirectory(join(dir, 'root'), { name: 'java-fixture' });
    const maven = inv.packages.filter((p) => p.type === 'maven');
    expect(
      accuracy(
        maven.map((p) => p.purl),
        truth.map((t) => ({ type: 'maven', namespace: t.group, name: t.artifact, version: t.version })),
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    // Each coordinate is evidenced by its own jar and by the fat jar that nests it.
    for (const p of maven) expect(p.evidence).toContain('/app/fat.jar');
    await documentsValid(inv);
    // As an image layer, jars are summarised while streaming; the result is the same.
    const tar = await packLayer(await hostTree(join(dir, 'root'), '', ['app', 'usr/share/java']));
    const fromImage = await catalogLayers([memoryLayer(tar)], { source: { name: 'java-image' } });
    expect(fromImage.packages.map((p) => [p.purl, p.evidence, p.layer])).toEqual(
      maven.map((p) => [p.purl, p.evidence, tar.diffId]),
    );
    const view = await layeredView([memoryLayer(tar)], {
      retain: retainPolicy(),
      derive: derivePolicy(),
      sections: ELF_SECTIONS,
    });
    const kept = await view.readFile('/app/fat.jar');
    const jarSize = (await view.stat('/app/fat.jar'))!.size;
    expect(jarSize).toBeGreaterThan(100_000);
    expect(kept.length).toBeLessThan(jarSize / 10);
  });

  it('rpm: rpmdb.sqlite made by rpm equals rpm -qa (name, epoch, version-release, arch, license)', async () => {
    const root = join(await rpmRoot(), 'root');
    const truth = await rpmQa(root);
    expect(truth.length).toBe(2);
    const inv = await catalogDirectory(root, { name: 'rpm-fixture' });
    const rpms = inv.packages.filter((p) => p.type === 'rpm');
    expect(
      accuracy(
        rpms.map((p) => p.purl),
        truth.map(fedoraRpmPurl),
        ['arch', 'epoch'],
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    for (const t of truth) {
      const p = rpms.find((r) => r.name === t.name)!;
      expect(p.licenses).toEqual([{ expression: t.license }]);
      expect(parsePurl(p.purl).qualifiers?.distro).toBe('fedora-40');
    }
    await documentsValid(inv);
  });

  it('rpm: uncheckpointed write-ahead log is applied (a package erased in the WAL is gone, as rpm -qa says)', async () => {
    const work = await mkdtemp(join(tmpdir(), 'kaniko-ts-sbom-wal-'));
    try {
      await cp(join(await rpmRoot(), 'root'), join(work, 'root'), { recursive: true });
      const root = join(work, 'root');
      const db = new DatabaseSync(join(root, 'var/lib/rpm/rpmdb.sqlite'));
      try {
        db.exec('PRAGMA foreign_keys=OFF; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;');
        db.exec('DELETE FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages)');
        const truth = await rpmQa(root);
        expect(truth.length).toBe(1);
        const inv = await catalogDirectory(root, { name: 'rpm-wal' });
        expect(inv.packages.map((p) => p.name)).toEqual(truth.map((t) => t.name));
      } finally {
        db.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('rust: crates in a cargo-auditable .dep-v0 section added with objcopy', async () => {
    const work = await mkdtemp(join(tmpdir(), 'kaniko-ts-sbom-rust-'));
    try {
      const audit = {
        packages: [
          { name: 'hello-rs', version: '0.3.0', source: 'local', root: true, dependencies: [1, 2] },
          { name: 'serde', version: '1.0.210', source: 'crates.io', dependencies: [] },
          { name: 'itoa', version: '1.0.11', source: 'crates.io', kind: 'runtime', dependencies: [] },
        ],
      };
      await writeFile(join(work, 'dep.z'), deflateSync(JSON.stringify(audit)));
      await mkdir(join(work, 'root/usr/bin'), { recursive: true });
      await copyFile('/usr/bin/true', join(work, 'true'));
      await runChecked('objcopy', [
        '--add-section',
        `.dep-v0=${join(work, 'dep.z')}`,
        join(work, 'true'),
        join(work, 'root/usr/bin/hello-rs'),
      ]);
      await runChecked('chmod', ['755', join(work, 'root/usr/bin/hello-rs')]);
      const inv = await catalogDirectory(join(work, 'root'), { name: 'rust' });
      expect(
        accuracy(
          inv.packages.map((p) => p.purl),
          audit.packages.map((p) => ({ type: 'cargo', name: p.name, version: p.version })),
        ),
      ).toMatchObject({ recall: 1, precision: 1 });
      await documentsValid(inv);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  for (const pageSize of [512, 65536] as const) {
    it(`rpm: legacy Berkeley DB Packages (${pageSize}-byte pages) equals rpm -qa with the bdb_ro backend`, async () => {
      const root = join(await rpmBdbRoot(pageSize), 'root');
      const truth = await rpmQaBdb(root);
      expect(truth.length).toBe(2);
      const inv = await catalogDirectory(root, { name: 'rpm-bdb' });
      expect(inv.warnings).toEqual([]);
      expect(
        accuracy(
          inv.packages.map((p) => p.purl),
          truth.map(fedoraRpmPurl),
          ['arch', 'epoch'],
        ),
      ).toMatchObject({ recall: 1, precision: 1 });
      await documentsValid(inv);
    });
  }
});

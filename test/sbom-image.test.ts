import { appendLayers, layerFromBytes, readLayout } from '@kaniko-ts/oci';
import { catalogImage, parsePurl, toCycloneDx, toSpdx } from '@kaniko-ts/sbom';
import { describe, expect, it } from 'vitest';
import { accuracy } from './sbom/compare.js';
import { debianBase, debianDebPurl, dpkgQuery, npmLs, npmTree } from './sbom/fixtures.js';
import { hostTree, packLayer } from './sbom/layers.js';
import { cycloneDxErrors, spdxErrors } from './sbom/validate.js';

describe('catalogImage over an @kaniko-ts/oci image (OCI layout + appended layer)', () => {
  it('reads layers through the oci package, attributes npm packages to the appended layer, documents valid', async () => {
    const base = await debianBase();
    const dir = await npmTree();
    const layout = await readLayout(base.layout);
    const image = await layout.image({ tag: 'latest' });
    // The npm fixture tree (real npm install) copied into /app as a second layer.
    const appTar = await packLayer(await hostTree(dir, '/app', ['node_modules']));
    const built = appendLayers(image, [await layerFromBytes(appTar.tar)]);
    const inv = await catalogImage(built, { name: 'registry.example.com/sbom/app:1' });

    expect(inv.source.digest).toBe(await built.digest());
    expect(inv.layers).toEqual([base.diffId, appTar.diffId]);
    const debs = inv.packages.filter((p) => p.type === 'deb');
    const truthDeb = await dpkgQuery(base.root);
    expect(
      accuracy(
        debs.map((p) => p.purl),
        truthDeb.map(debianDebPurl),
        ['arch'],
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    const npm = inv.packages.filter((p) => p.type === 'npm');
    const truthNpm = await npmLs(dir);
    expect(
      accuracy(
        npm.map((p) => p.purl),
        truthNpm.map((t) => {
          const m = /^(@[^/]+)\/(.+)$/.exec(t.name);
          return {
            type: 'npm',
            ...(m ? { namespace: m[1]! } : {}),
            name: m?.[2] ?? t.name,
            version: t.version,
          };
        }),
      ),
    ).toMatchObject({ recall: 1, precision: 1 });
    for (const p of npm) {
      expect(p.layer).toBe(appTar.diffId);
      expect(p.evidence[0]).toMatch(/^\/app\/node_modules\//);
    }
    for (const p of debs) expect(p.layer).toBe(base.diffId);
    const spdx = toSpdx(inv, { created: '2025-01-01T00:00:00Z' });
    expect(spdxErrors(spdx)).toEqual([]);
    const root = spdx.packages.find((p) => p.SPDXID === 'SPDXRef-Image')!;
    const purl = parsePurl((root.externalRefs as { referenceLocator: string }[])[0]!.referenceLocator);
    expect(purl).toMatchObject({ type: 'oci', name: 'app', version: await built.digest() });
    expect(purl.qualifiers?.repository_url).toBe('registry.example.com/sbom/app');
    expect(await cycloneDxErrors(toCycloneDx(inv, { created: '2025-01-01T00:00:00Z' }))).toEqual([]);
  });
});

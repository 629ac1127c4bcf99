import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogDirectory } from './catalog.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kaniko-ts-sbom-dir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const put = async (path: string, data: string) => {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), data);
};

describe('directory view', () => {
  it('resolves absolute symlinks inside the root, never on the host', async () => {
    await put('usr/lib/os-release', 'ID=testos\nVERSION_ID=7\n');
    await mkdir(join(root, 'etc'));
    await symlink('/usr/lib/os-release', join(root, 'etc/os-release'));
    await put(
      'usr/lib/node_modules/left-pad/package.json',
      JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' }),
    );
    const inv = await catalogDirectory(root);
    expect(inv.distro).toMatchObject({ id: 'testos', versionId: '7', source: '/etc/os-release' });
    expect(inv.packages.map((p) => p.purl)).toEqual(['pkg:npm/left-pad@1.3.0']);
  });

  it('uses the caller’s layer map for attribution and does not descend into symlinked directories', async () => {
    await put('app/node_modules/a/package.json', JSON.stringify({ name: 'a', version: '1.0.0' }));
    await put('opt/real/node_modules/b/package.json', JSON.stringify({ name: 'b', version: '2.0.0' }));
    await symlink('/opt/real', join(root, 'app/linked'));
    const layers = ['sha256:' + '1'.repeat(64), 'sha256:' + '2'.repeat(64)];
    const layerOf = new Map([
      ['/app/node_modules/a/package.json', layers[1]!],
      ['/opt/real/node_modules/b/package.json', layers[0]!],
    ]);
    const inv = await catalogDirectory(root, { layers, layerOf, name: 'built' });
    expect(inv.layers).toEqual(layers);
    expect(inv.packages.map((p) => [p.name, p.layer, p.evidence])).toEqual([
      ['a', layers[1], ['/app/node_modules/a/package.json']],
      ['b', layers[0], ['/opt/real/node_modules/b/package.json']],
    ]);
  });
});

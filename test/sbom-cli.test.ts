import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { harness } from './harness/index.js';

/**
 * `kaniko-ts sbom` on an OCI layout on disk (no registry): the harness's Debian base. Ground truth is
 * the image's own dpkg database, read with GNU tar from the layer blob: every package whose status is
 * "install ok installed" must be in both documents.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
let work: string;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

it('kaniko-ts sbom reads an OCI layout and writes SPDX and CycloneDX documents', async () => {
  work = await mkdtemp(join(tmpdir(), 'sbom-cli-'));
  const layout = harness().baseLayouts.debian.dir;
  const names: Record<string, string[]> = {};
  for (const format of ['spdx-json', 'cyclonedx-json'] as const) {
    const output = join(work, `${format}.json`);
    const r = spawnSync(
      process.execPath,
      [
        'packages/cli/dist/bin.js',
        'sbom',
        '--oci-layout-path',
        `${layout}:latest`,
        '--sbom-format',
        format,
        '--output',
        output,
      ],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(await readFile(output, 'utf8'));
    const purls: string[] =
      format === 'spdx-json'
        ? doc.packages.flatMap((p: { externalRefs?: { referenceLocator: string }[] }) =>
            (p.externalRefs ?? []).map((e) => e.referenceLocator),
          )
        : doc.components.map((c: { purl?: string }) => c.purl ?? '');
    names[format] = purls
      .filter((u) => u.startsWith('pkg:deb/'))
      .map((u) => decodeURIComponent(u.split('/')[2]?.split('@')[0] ?? ''))
      .sort();
  }
  const blob = (d: string) => join(layout, 'blobs', ...d.split(':'));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
  const status = spawnSync('tar', ['-xzOf', blob(manifest.layers[0].digest), './var/lib/dpkg/status'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expect(status.status, status.stderr).toBe(0);
  const installed = status.stdout
    .split('\n\n')
    .filter((p) => /^Status: install ok installed$/m.test(p))
    .map((p) => /^Package: (.+)$/m.exec(p)?.[1] ?? '')
    .sort();
  expect(installed.length).toBeGreaterThan(50);
  expect(names['spdx-json']).toEqual(installed);
  expect(names['cyclonedx-json']).toEqual(installed);
});

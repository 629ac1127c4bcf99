import { describe, expect, it } from 'vitest';
import { toCycloneDx } from './cyclonedx.js';
import type { Inventory } from './inventory.js';
import { provenanceStatement } from './provenance.js';
import { toSpdx } from './spdx.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const inventory: Inventory = {
  source: {
    kind: 'image',
    name: 'registry.example.com/team/app:1',
    digest: D('a'),
    architecture: 'amd64',
    repository: 'registry.example.com/team/app',
  },
  distro: { id: 'debian', versionId: '12', source: '/etc/os-release' },
  layers: [D('1'), D('2')],
  packages: [
    {
      type: 'deb',
      name: 'libc6',
      version: '2.36-9+deb12u4',
      purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
      cpes: ['cpe:2.3:a:libc6:libc6:2.36-9\\+deb12u4:*:*:*:*:*:*:*'],
      licenses: [{ expression: 'LGPL-2.1-or-later' }, { name: 'public-domain' }],
      evidence: ['/var/lib/dpkg/status'],
      layer: D('1'),
      foundBy: 'dpkg-db',
      metadata: { architecture: 'amd64' },
    },
    {
      type: 'npm',
      name: 'core',
      namespace: '@actions',
      version: '1.10.1',
      purl: 'pkg:npm/%40actions/core@1.10.1',
      cpes: [],
      licenses: [{ expression: 'MIT' }],
      evidence: ['/app/node_modules/@actions/core/package.json'],
      layer: D('2'),
      foundBy: 'npm-package',
      metadata: {},
    },
  ],
};

describe('documents', () => {
  it('SPDX: image described, CONTAINS every package, non-SPDX license names become LicenseRefs, deterministic', () => {
    const doc = toSpdx(inventory, { created: '2025-01-01T12:00:00.123Z' });
    expect(doc.creationInfo.created).toBe('2025-01-01T12:00:00Z');
    expect(doc.documentNamespace).toMatch(
      /^https:\/\/kaniko-ts\.dev\/spdxdocs\/.+-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const ids = doc.packages.map((p) => p.SPDXID as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      doc.relationships
        .filter((r) => r.relationshipType === 'CONTAINS')
        .map((r) => r.relatedSpdxElement)
        .sort(),
    ).toEqual(ids.filter((i) => i !== 'SPDXRef-Image').sort());
    const libc = doc.packages.find((p) => p.name === 'libc6')!;
    const ref = doc.hasExtractedLicensingInfos?.[0];
    expect(ref?.extractedText).toBe('public-domain');
    expect(libc.licenseDeclared).toBe(`LGPL-2.1-or-later AND ${ref?.licenseId}`);
    expect(doc.packages.find((p) => p.name === '@actions/core')).toBeDefined();
    expect(JSON.stringify(toSpdx(inventory, { created: '2025-01-01T12:00:00Z' }))).toBe(JSON.stringify(doc));
    const other = toSpdx(
      { ...inventory, packages: inventory.packages.slice(1) },
      { created: '2025-01-01T12:00:00Z' },
    );
    expect(other.documentNamespace).not.toBe(doc.documentNamespace);
  });

  it('CycloneDX: container metadata component with layer properties, unique bom-refs, dependencies resolve', () => {
    const bom = toCycloneDx(inventory, { created: '2025-01-01T00:00:00Z' }) as {
      serialNumber: string;
      metadata: { component: { type: string; purl: string; properties: { name: string; value: string }[] } };
      components: { 'bom-ref': string; licenses?: unknown; properties: { name: string; value: string }[] }[];
      dependencies: { ref: string; dependsOn: string[] }[];
    };
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(bom.metadata.component.type).toBe('container');
    expect(bom.metadata.component.purl).toBe(
      'pkg:oci/app@sha256:' + 'a'.repeat(64) + '?arch=amd64&repository_url=registry.example.com%2Fteam%2Fapp',
    );
    expect(bom.metadata.component.properties.map((p) => p.value)).toEqual(inventory.layers);
    const refs = bom.components.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    expect(bom.dependencies[0]!.dependsOn.sort()).toEqual([...refs].sort());
    const libc = bom.components.find((c) => c['bom-ref'].startsWith('pkg:deb/'))!;
    expect(libc.licenses).toEqual([
      { license: { name: 'LGPL-2.1-or-later' } },
      { license: { name: 'public-domain' } },
    ]);
    expect(libc.properties).toContainEqual({ name: 'kaniko-ts:layer:diffID', value: D('1') });
  });
});

describe('provenance', () => {
  const build = {
    subjects: [{ name: 'registry.example.com/team/app', digest: D('a') }],
    dockerfile: { path: 'Dockerfile', digest: D('d') },
    context: { digest: D('c') },
    buildArgs: {
      VERSION: '1.2',
      AUTHOR: 'me',
      NPM_TOKEN: 'secret-value',
      GPG_KEY: 'k1',
      DB_PASSWORD: 'p1',
      CUSTOM: 'hidden',
    },
    secretNames: ['CUSTOM'],
    baseImages: [{ name: 'docker.io/library/debian:12', digest: D('b') }],
    builderId: 'https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main',
  };

  it('never records secret build args and maps GitHub run info', () => {
    const s = provenanceStatement({
      ...build,
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'org/repo',
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_SHA: 'f'.repeat(40),
        GITHUB_REF: 'refs/heads/main',
      },
    });
    const text = JSON.stringify(s);
    expect(text).not.toContain('secret-value');
    expect(text).not.toContain('hidden');
    const p = s.predicate as {
      buildDefinition: {
        externalParameters: { buildArgs: object };
        resolvedDependencies: { uri: string; digest: object }[];
      };
      runDetails: { metadata: { invocationId: string } };
    };
    expect(p.buildDefinition.externalParameters.buildArgs).toEqual({ AUTHOR: 'me', VERSION: '1.2' });
    for (const v of ['k1', 'p1']) expect(text).not.toContain(v);
    expect(p.runDetails.metadata.invocationId).toBe('https://github.com/org/repo/actions/runs/42/attempts/2');
    expect(p.buildDefinition.resolvedDependencies).toContainEqual({
      uri: 'git+https://github.com/org/repo@refs/heads/main',
      digest: { gitCommit: 'f'.repeat(40) },
    });
    expect(p.buildDefinition.resolvedDependencies).toContainEqual({
      uri: 'docker.io/library/debian:12',
      digest: { sha256: 'b'.repeat(64) },
    });
    expect(s).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: [{ digest: { sha256: 'a'.repeat(64) } }],
    });
  });

  it('maps GitLab run info and rejects malformed digests', () => {
    const s = provenanceStatement({
      ...build,
      env: {
        GITLAB_CI: 'true',
        CI_JOB_URL: 'https://gitlab.example.com/g/p/-/jobs/7',
        CI_PROJECT_URL: 'https://gitlab.example.com/g/p',
        CI_COMMIT_SHA: 'e'.repeat(40),
        CI_COMMIT_REF_NAME: 'main',
      },
    });
    expect(
      (s.predicate as { runDetails: { metadata: { invocationId: string } } }).runDetails.metadata
        .invocationId,
    ).toBe('https://gitlab.example.com/g/p/-/jobs/7');
    expect(() => provenanceStatement({ ...build, subjects: [{ name: 'x', digest: 'latest' }] })).toThrow(
      /digest/,
    );
  });
});

describe('provenanceStatement without build files (CI-run provenance)', () => {
  it('leaves out what is not known, keeps a context given only by URI, rejects an empty context', () => {
    const s = provenanceStatement({
      subjects: [{ name: 'registry.example.com/team/app', digest: D('a') }],
      context: { uri: 'git+https://example.com/repo@refs/heads/main' },
      dockerfile: { path: 'https://example.com/Dockerfile' },
      builderId: 'https://example.com/builder',
    });
    const ext = (s.predicate as { buildDefinition: { externalParameters: Record<string, unknown> } })
      .buildDefinition.externalParameters;
    expect(ext.context).toEqual({ uri: 'git+https://example.com/repo@refs/heads/main' });
    expect(ext.dockerfile).toEqual({ path: 'https://example.com/Dockerfile' });
    const bare = provenanceStatement({
      subjects: [{ name: 'registry.example.com/team/app', digest: D('a') }],
      builderId: 'https://example.com/builder',
    });
    expect(
      Object.keys(
        (bare.predicate as { buildDefinition: { externalParameters: object } }).buildDefinition
          .externalParameters,
      ),
    ).toEqual(['buildArgs']);
    expect(() =>
      provenanceStatement({
        subjects: [{ name: 'x', digest: D('a') }],
        context: {},
        builderId: 'b',
      }),
    ).toThrow(/uri or a digest/);
  });
});

describe('documentPackages', () => {
  it('lists the same packages from both formats, without image and OS entries', async () => {
    const { documentPackages } = await import('./document-packages.js');
    const fromSpdx = documentPackages(toSpdx(inventory, { created: '2025-01-01T00:00:00Z' }));
    const fromCdx = documentPackages(toCycloneDx(inventory, { created: '2025-01-01T00:00:00Z' }));
    const want = inventory.packages.map((p) => p.purl).sort();
    expect(fromSpdx.map((p) => p.purl).sort()).toEqual(want);
    expect(fromCdx.map((p) => p.purl).sort()).toEqual(want);
    expect(fromCdx.map((p) => p.name).sort()).toEqual(['@actions/core', 'libc6']);
    expect(documentPackages({ nothing: true })).toEqual([]);
  });
});

describe('sbomStatement', () => {
  it('wraps each format with cosign predicate types and the image digest as subject', async () => {
    const { sbomStatement } = await import('./sbom-statement.js');
    const subject = { name: 'registry.example.com/team/app', digest: D('a') };
    const spdx = sbomStatement(subject, toSpdx(inventory, { created: '2025-01-01T00:00:00Z' }));
    const cdx = sbomStatement(subject, toCycloneDx(inventory, { created: '2025-01-01T00:00:00Z' }));
    expect(spdx.predicateType).toBe('https://spdx.dev/Document');
    expect(cdx.predicateType).toBe('https://cyclonedx.org/bom');
    expect(spdx.subject).toEqual([{ name: subject.name, digest: { sha256: 'a'.repeat(64) } }]);
    expect(() => sbomStatement(subject, { hello: 1 })).toThrow(/neither/);
  });
});

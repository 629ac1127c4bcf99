/** rpm fixtures: an sqlite rpmdb made by Debian's rpm, and the same headers in a Berkeley DB file. */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { PackageUrlParts } from '@kaniko-ts/sbom';
import { runChecked } from '../harness/index.js';
import { cached, ensureSbomTools } from './fixtures.js';

const SPEC = (name: string, epoch: string | undefined, version: string, release: string, license: string) => `
Name: ${name}
${epoch ? `Epoch: ${epoch}` : ''}
Version: ${version}
Release: ${release}
Summary: kaniko-ts sbom fixture
License: ${license}
BuildArch: noarch

%description
Fixture package for the kaniko-ts rpm cataloger test.

%install
mkdir -p %{buildroot}/usr/share/${name}
echo ${name} > %{buildroot}/usr/share/${name}/README

%files
/usr/share/${name}/README
`;

/** A root with an rpmdb.sqlite made by Debian's rpm: two packages built with rpmbuild and installed. */
export async function rpmRoot(): Promise<string> {
  await ensureSbomTools();
  return cached('rpm-root', async (dir) => {
    const top = join(dir, 'rpmbuild');
    const root = join(dir, 'root');
    await mkdir(join(top, 'SPECS'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), 'ID=fedora\nVERSION_ID=40\nNAME="Fedora Linux"\n');
    const specs: [string, string | undefined, string, string, string][] = [
      ['sbom-hello', '2', '1.2.3', '4.fc40', 'MIT'],
      ['sbom-tool', undefined, '0.9', '1.fc40', 'GPL-2.0-or-later AND BSD-3-Clause'],
    ];
    for (const s of specs) {
      const file = join(top, 'SPECS', `${s[0]}.spec`);
      await writeFile(file, SPEC(...s));
      await runChecked('rpmbuild', ['-bb', '--define', `_topdir ${top}`, file], { timeoutMs: 120_000 });
    }
    const rpms = join(top, 'RPMS', 'noarch');
    const files = (await readdir(rpms)).map((f) => join(rpms, f));
    const rpm = (...args: string[]) =>
      runChecked('rpm', [
        '--root',
        root,
        '--dbpath',
        '/var/lib/rpm',
        '--define',
        '_db_backend sqlite',
        ...args,
      ]);
    await rpm('--initdb');
    await rpm('-i', '--nodeps', '--noscripts', ...files);
    await rm(top, { recursive: true, force: true });
  });
}

/** One package as `rpm -qa` reports it (epoch absent where rpm says '(none)'). */
export interface RpmQaPackage {
  name: string;
  epoch?: string;
  version: string;
  release: string;
  arch: string;
  license: string;
}

/** The purl parts a package of these fixtures should have (their os-release says fedora). */
export function fedoraRpmPurl(t: Omit<RpmQaPackage, 'license'>): PackageUrlParts {
  return {
    type: 'rpm',
    namespace: 'fedora',
    name: t.name,
    version: `${t.version}-${t.release}`,
    qualifiers: { arch: t.arch, ...(t.epoch ? { epoch: t.epoch } : {}) },
  };
}

/** `rpm -qa` of a root: name, epoch, version, release, arch, license. */
export async function rpmQa(root: string): Promise<RpmQaPackage[]> {
  const out = await runChecked('rpm', [
    '--root',
    root,
    '--dbpath',
    '/var/lib/rpm',
    '-qa',
    '--qf',
    '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{LICENSE}\\n',
  ]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .filter((f) => f[0] !== 'gpg-pubkey')
    .map(([name, epoch, version, release, arch, license]) => ({
      name: name!,
      ...(epoch !== '(none)' ? { epoch: epoch! } : {}),
      version: version!,
      release: release!,
      arch: arch!,
      license: license!,
    }));
}

/**
 * The same two rpm headers in a legacy Berkeley DB hash `Packages` file (RHEL/CentOS ≤ 8 layout),
 * written by Berkeley DB's own `db5.3_load` from the sqlite rpmdb's header blobs. A 512-byte page
 * size forces overflow pages, 64 KiB keeps the headers on the hash pages.
 */
export async function rpmBdbRoot(pageSize: 512 | 65536): Promise<string> {
  const sqliteRoot = join(await rpmRoot(), 'root');
  return cached(`rpm-bdb-${pageSize}`, async (dir) => {
    const db = new DatabaseSync(join(sqliteRoot, 'var/lib/rpm/rpmdb.sqlite'), { readOnly: true });
    const rows = db.prepare('SELECT hnum, blob FROM Packages').all() as { hnum: number; blob: Uint8Array }[];
    db.close();
    // db_load -T: paired key/data lines, bytes outside printable ASCII (and backslash) as \xx.
    const esc = (b: Uint8Array) =>
      [...b]
        .map((x) =>
          x >= 0x21 && x <= 0x7e && x !== 0x5c
            ? String.fromCharCode(x)
            : `\\${x.toString(16).padStart(2, '0')}`,
        )
        .join('');
    let text = '';
    for (const r of rows) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(r.hnum);
      text += `${esc(key)}\n${esc(r.blob)}\n`;
    }
    await mkdir(join(dir, 'root/var/lib/rpm'), { recursive: true });
    await mkdir(join(dir, 'root/etc'), { recursive: true });
    await writeFile(join(dir, 'root/etc/os-release'), readFileSync(join(sqliteRoot, 'etc/os-release')));
    await runChecked(
      'db5.3_load',
      ['-T', '-t', 'hash', '-c', `db_pagesize=${pageSize}`, join(dir, 'root/var/lib/rpm/Packages')],
      {
        input: text,
      },
    );
  });
}

/** `rpm -qa` through rpm's own read-only Berkeley DB backend. */
export async function rpmQaBdb(root: string): Promise<Omit<RpmQaPackage, 'license'>[]> {
  const out = await runChecked('rpm', [
    '--root',
    root,
    '--dbpath',
    '/var/lib/rpm',
    '--define',
    '_db_backend bdb_ro',
    '-qa',
    '--qf',
    '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n',
  ]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .map(([name, epoch, version, release, arch]) => ({
      name: name!,
      ...(epoch !== '(none)' ? { epoch: epoch! } : {}),
      version: version!,
      release: release!,
      arch: arch!,
    }));
}

import { DatabaseSync } from 'node:sqlite';
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { applicationCpe } from '../cpe.js';
import { distroQualifier } from '../distro.js';
import { BerkeleyDbFormatError, berkeleyHashValues } from '../internal/berkeley-db.js';
import { parseRpmHeader, RPMTAG } from '../internal/rpm-header.js';
import { applyWal } from '../internal/sqlite-wal.js';
import { toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';
import { SbomError } from '../sbom-error.js';

const SQLITE = /^\/(?:var\/lib|usr\/lib\/sysimage|usr\/share)\/rpm\/rpmdb\.sqlite$/;
/** The write-ahead log next to rpmdb.sqlite: not evidence itself, but needed to read it. */
export const RPM_WAL = /^\/(?:var\/lib|usr\/lib\/sysimage|usr\/share)\/rpm\/rpmdb\.sqlite-wal$/;
const BDB = /^\/(?:var\/lib|usr\/lib\/sysimage|usr\/share)\/rpm\/Packages$/;
const NDB = /^\/(?:var\/lib|usr\/lib\/sysimage|usr\/share)\/rpm\/Packages\.db$/;

/** Reads every header blob of an rpmdb.sqlite file given as bytes. */
export function rpmSqliteBlobs(data: Uint8Array, wal?: Uint8Array): Uint8Array[] {
  const db = new DatabaseSync(':memory:');
  try {
    const bytes = wal ? applyWal(data, wal) : new Uint8Array(data);
    if (bytes[18] === 2) {
      bytes[18] = 1;
      bytes[19] = 1;
    }
    db.deserialize(bytes);
    const rows = db.prepare('SELECT blob FROM Packages').all() as { blob: Uint8Array }[];
    return rows.map((r) => r.blob);
  } catch (cause) {
    throw new SbomError('PARSE', `reading rpmdb.sqlite: ${(cause as Error).message}`, { cause });
  } finally {
    db.close();
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** rpm database in SQLite form (Fedora ≥ 33, RHEL/Rocky/Alma 9, Amazon Linux 2023). */
export const rpmCataloger: Cataloger = {
  name: 'rpm-db',
  match(path, info) {
    if (info.type !== 'file') return undefined;
    if (SQLITE.test(path) || BDB.test(path)) return 'history';
    if (NDB.test(path)) return 'none';
    return undefined;
  },
  async parse(path, data, ctx) {
    if (NDB.test(path)) {
      ctx.warn(`rpm database ${path} is in NDB format, which this cataloger does not read`);
      return [];
    }
    if (!data) return [];
    if (BDB.test(path)) {
      // Legacy Berkeley DB hash file (RHEL/CentOS ≤ 8): values are the header blobs.
      let blobs: Uint8Array[];
      try {
        blobs = berkeleyHashValues(data);
      } catch (error) {
        if (!(error instanceof BerkeleyDbFormatError)) throw error;
        ctx.warn(`rpm database ${path}: ${error.message}`);
        return [];
      }
      return rpmPackages(blobs, path, ctx);
    }
    let wal: Uint8Array | undefined;
    const walPath = `${path}-wal`;
    if ((await ctx.view.stat(walPath))?.type === 'file') {
      try {
        wal = await ctx.view.readFile(walPath);
      } catch {
        ctx.warn(`${walPath}: write-ahead log not readable; packages only in it are missed`);
      }
    }
    return rpmPackages(rpmSqliteBlobs(data, wal), path, ctx);
  },
};

function rpmPackages(blobs: Uint8Array[], path: string, ctx: CatalogContext): FoundPackage[] {
  const out: FoundPackage[] = [];
  for (const blob of blobs) {
    const h = parseRpmHeader(blob);
    const name = str(h.get(RPMTAG.NAME));
    const version = str(h.get(RPMTAG.VERSION));
    const release = str(h.get(RPMTAG.RELEASE));
    const arch = str(h.get(RPMTAG.ARCH));
    if (!name || !version || name === 'gpg-pubkey') continue;
    const epochValue = h.get(RPMTAG.EPOCH);
    const epoch = typeof epochValue === 'number' ? String(epochValue) : undefined;
    const full = release ? `${version}-${release}` : version;
    const metadata: Record<string, string> = {};
    if (arch) metadata.architecture = arch;
    if (epoch) metadata.epoch = epoch;
    if (release) metadata.release = release;
    const sourceRpm = str(h.get(RPMTAG.SOURCERPM));
    if (sourceRpm && sourceRpm !== '(none)') metadata.sourceRpm = sourceRpm;
    const vendor = str(h.get(RPMTAG.VENDOR));
    if (vendor) metadata.vendor = vendor;
    const modularity = str(h.get(RPMTAG.MODULARITYLABEL));
    if (modularity) metadata.modularityLabel = modularity;
    const license = toLicense(str(h.get(RPMTAG.LICENSE)));
    out.push({
      type: 'rpm',
      name,
      version: epoch ? `${epoch}:${full}` : full,
      purl: formatPurl({
        type: 'rpm',
        namespace: ctx.distro?.id,
        name,
        version: full,
        qualifiers: { arch, epoch, distro: distroQualifier(ctx.distro), modularitylabel: modularity },
      }),
      cpes: [applicationCpe(name, name, full)],
      licenses: license ? [license] : [],
      evidence: [path],
      metadata,
    });
  }
  return out;
}

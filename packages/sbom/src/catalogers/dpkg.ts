import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { applicationCpe } from '../cpe.js';
import { distroQualifier } from '../distro.js';
import { resolvePath } from '../file-system-view.js';
import { parseParagraphs } from '../internal/deb822.js';
import type { License } from '../inventory.js';
import { addLicense, toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = /^\/var\/lib\/dpkg\/status\.d\/[^/]+$/;

/** Copyright files read for licenses (kept by the image view while streaming). */
export const DPKG_COPYRIGHT = /^\/usr\/share\/doc\/[^/]+\/copyright$/;

/** License short names from a Debian copyright file (DEP-5 `License:` fields, common-licenses references). */
export function debianCopyrightLicenses(
  text: string,
  lookup: (raw: string) => License | undefined = toLicense,
): License[] {
  const out: License[] = [];
  for (const m of text.matchAll(/^License:[ \t]*(\S[^\r\n]*)$/gim)) addLicense(out, lookup(m[1]!.trim()));
  if (out.length === 0) {
    for (const m of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9.+-]+?)(?:[.,;:)]?(?:\s|$))/g)) {
      addLicense(out, lookup(m[1]!));
    }
  }
  return out;
}

/** `toLicense` memoised in the catalog run (copyright files repeat the same few names). */
function memoLicense(ctx: CatalogContext): (raw: string) => License | undefined {
  return (raw) => {
    const key = `license:${raw}`;
    if (ctx.memo.has(key)) return ctx.memo.get(key) as License | undefined;
    const value = toLicense(raw);
    ctx.memo.set(key, value);
    return value;
  };
}

async function licensesFor(name: string, ctx: CatalogContext): Promise<License[]> {
  const key = `dpkg-license:${name}`;
  const cached = ctx.memo.get(key) as License[] | undefined;
  if (cached) return cached;
  const found = await readLicenses(name, ctx);
  ctx.memo.set(key, found);
  return found;
}

async function readLicenses(name: string, ctx: CatalogContext): Promise<License[]> {
  const real = await resolvePath(ctx.view, `/usr/share/doc/${name}/copyright`);
  if (!real) return [];
  try {
    return debianCopyrightLicenses(
      Buffer.from(await ctx.view.readFile(real)).toString('utf8'),
      memoLicense(ctx),
    );
  } catch {
    return [];
  }
}

function installed(status: string | undefined): boolean {
  if (status === undefined) return true; // distroless status.d files carry no Status line
  const [want, , state] = status.split(/\s+/);
  if (want === 'deinstall' || want === 'purge') return false;
  return state !== 'not-installed' && state !== 'config-files';
}

/** dpkg database: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/<pkg>`. */
export const dpkgCataloger: Cataloger = {
  name: 'dpkg-db',
  match(path, info) {
    if (info.type !== 'file') return undefined;
    if (path === STATUS) return 'history';
    if (STATUS_D.test(path) && !path.endsWith('.md5sums')) return 'bytes';
    return undefined;
  },
  async parse(path, data, ctx) {
    if (!data) return [];
    const vendor =
      ctx.distro && ['debian', 'ubuntu'].includes(ctx.distro.id)
        ? ctx.distro.id
        : (ctx.distro?.id ?? 'debian');
    const out: FoundPackage[] = [];
    for (const p of parseParagraphs(Buffer.from(data).toString('utf8'))) {
      const name = p.get('Package');
      const version = p.get('Version');
      if (!name || !version || !installed(p.get('Status'))) continue;
      const arch = p.get('Architecture');
      const sourceField = p.get('Source');
      const m = sourceField ? /^(\S+)(?:\s+\(([^)]+)\))?/.exec(sourceField) : null;
      const source = m?.[1] ?? name;
      const sourceVersion = m?.[2] ?? version;
      const upstream =
        source !== name || sourceVersion !== version
          ? sourceVersion !== version
            ? `${source}@${sourceVersion}`
            : source
          : undefined;
      const metadata: Record<string, string> = { source, sourceVersion };
      if (arch) metadata.architecture = arch;
      const maintainer = p.get('Maintainer');
      if (maintainer) metadata.maintainer = maintainer;
      const size = p.get('Installed-Size');
      if (size) metadata.installedSize = size;
      out.push({
        type: 'deb',
        name,
        version,
        purl: formatPurl({
          type: 'deb',
          namespace: vendor,
          name,
          version,
          qualifiers: { arch, distro: distroQualifier(ctx.distro), upstream },
        }),
        cpes: [applicationCpe(name, name, version)],
        licenses: await licensesFor(name, ctx),
        evidence: [path],
        metadata,
      });
    }
    return out;
  },
};

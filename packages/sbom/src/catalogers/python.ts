import type { Cataloger } from '../cataloger.js';
import { parseHeaders } from '../internal/deb822.js';
import type { License } from '../inventory.js';
import { addLicense, toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';

const METADATA = /\.dist-info\/METADATA$|\.egg-info\/PKG-INFO$/i;
const EGG_FILE = /\.egg-info$/i;

/** PyPI name normalisation (PEP 503): lower case, runs of `-_.` become one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function licensesOf(h: Map<string, string[]>): License[] {
  const out: License[] = [];
  for (const e of h.get('license-expression') ?? []) addLicense(out, toLicense(e));
  if (out.length > 0) return out;
  const plain = h.get('license')?.[0];
  if (plain && !plain.includes('\n') && plain.length <= 100) addLicense(out, toLicense(plain));
  if (out.length > 0) return out;
  for (const c of h.get('classifier') ?? []) {
    const m = /^License :: (?:OSI Approved :: )?(.+)$/.exec(c);
    if (m && m[1] !== 'OSI Approved') addLicense(out, toLicense(m[1]!));
  }
  return out;
}

/** Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, single-file `*.egg-info`. */
export const pythonCataloger: Cataloger = {
  name: 'python-installed',
  match(path, info) {
    if (info.type !== 'file') return undefined;
    return METADATA.test(path) || EGG_FILE.test(path) ? 'bytes' : undefined;
  },
  async parse(path, data) {
    if (!data) return [];
    const h = parseHeaders(Buffer.from(data).toString('utf8'));
    const name = h.get('name')?.[0];
    const version = h.get('version')?.[0];
    if (!name || !version) return [];
    const metadata: Record<string, string> = { name };
    const home = h.get('home-page')?.[0];
    if (home) metadata.homepage = home;
    return [
      {
        type: 'pypi',
        name: normalizePythonName(name),
        version,
        purl: formatPurl({ type: 'pypi', name, version }),
        cpes: [],
        licenses: licensesOf(h),
        evidence: [path],
        metadata,
      },
    ];
  },
};

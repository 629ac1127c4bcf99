import type { Cataloger } from '../cataloger.js';
import type { License } from '../inventory.js';
import { addLicense, toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';

/** `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`: a package root. */
const PACKAGE_ROOT = /\/node_modules\/(?:@[^/.][^/]*\/)?[^/.@][^/]*\/package\.json$/;

function licensesOf(pkg: Record<string, unknown>): License[] {
  const out: License[] = [];
  const one = (value: unknown) => {
    if (typeof value === 'string') addLicense(out, toLicense(value));
    else if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
      addLicense(out, toLicense((value as { type: string }).type));
    }
  };
  one(pkg.license);
  if (Array.isArray(pkg.licenses)) pkg.licenses.forEach(one);
  return out;
}

/** npm packages installed under `node_modules` (local and global), one per package root. */
export const npmCataloger: Cataloger = {
  name: 'npm-package',
  match(path, info) {
    return info.type === 'file' && PACKAGE_ROOT.test(path) ? 'bytes' : undefined;
  },
  async parse(path, data, ctx) {
    if (!data) return [];
    let pkg: Record<string, unknown>;
    try {
      pkg = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      ctx.warn(`skipping ${path}: not valid JSON`);
      return [];
    }
    const fullName = typeof pkg.name === 'string' ? pkg.name : undefined;
    const version = typeof pkg.version === 'string' ? pkg.version : undefined;
    if (!fullName || !version) return [];
    const m = /^(@[^/]+)\/(.+)$/.exec(fullName);
    const namespace = m?.[1];
    const name = m?.[2] ?? fullName;
    const metadata: Record<string, string> = {};
    if (typeof pkg.homepage === 'string') metadata.homepage = pkg.homepage;
    if (pkg.private === true) metadata.private = 'true';
    return [
      {
        type: 'npm',
        name,
        version,
        ...(namespace ? { namespace } : {}),
        purl: formatPurl({ type: 'npm', namespace, name, version }),
        cpes: [],
        licenses: licensesOf(pkg),
        evidence: [path],
        metadata,
      },
    ];
  },
};

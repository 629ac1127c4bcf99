import type { Cataloger, FoundPackage } from '../cataloger.js';
import { applicationCpe } from '../cpe.js';
import { distroQualifier } from '../distro.js';
import { toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';

const DB = /^\/(?:usr\/lib|lib|var\/lib)\/apk\/db\/installed$/;

/** Parses the apk `installed` database (single-letter keys, blank-line separated records). */
export function parseApkInstalled(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) out.push(current);
      current = new Map();
      continue;
    }
    const m = /^([A-Za-z]):(.*)$/.exec(line);
    if (!m) continue;
    // File lists (F, R, Z, a, M) are repeated keys; only the first value of the other keys matters.
    if (!current.has(m[1]!)) current.set(m[1]!, m[2]!);
  }
  if (current.size > 0) out.push(current);
  return out;
}

/** apk database: `/lib/apk/db/installed`, `/usr/lib/apk/db/installed` (usr-merged), `/var/lib/apk/db/installed`. */
export const apkCataloger: Cataloger = {
  name: 'apk-db',
  match(path, info) {
    return info.type === 'file' && DB.test(path) ? 'history' : undefined;
  },
  async parse(path, data, ctx) {
    if (!data) return [];
    const vendor = ctx.distro?.id ?? 'alpine';
    const out: FoundPackage[] = [];
    for (const r of parseApkInstalled(Buffer.from(data).toString('utf8'))) {
      const name = r.get('P');
      const version = r.get('V');
      if (!name || !version) continue;
      const arch = r.get('A');
      const license = toLicense(r.get('L'));
      const metadata: Record<string, string> = {};
      for (const [key, field] of [
        ['architecture', 'A'],
        ['origin', 'o'],
        ['maintainer', 'm'],
        ['commit', 'c'],
        ['url', 'U'],
      ] as const) {
        const v = r.get(field);
        if (v) metadata[key] = v;
      }
      out.push({
        type: 'apk',
        name,
        version,
        purl: formatPurl({
          type: 'apk',
          namespace: vendor,
          name,
          version,
          qualifiers: {
            arch,
            distro: distroQualifier(ctx.distro),
            upstream: r.get('o') !== name ? r.get('o') : undefined,
          },
        }),
        cpes: [applicationCpe(name, name, version)],
        licenses: license ? [license] : [],
        evidence: [path],
        metadata,
      });
    }
    return out;
  },
};

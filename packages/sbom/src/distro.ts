import type { FileSystemView } from './file-system-view.js';
import { resolvePath } from './file-system-view.js';
import type { Distro } from './inventory.js';

/** Files read to identify the distribution (kept by the image view while streaming). */
export const DISTRO_FILES: readonly string[] = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/debian_version',
  '/etc/alpine-release',
  '/etc/redhat-release',
  '/etc/system-release',
];

async function readText(view: FileSystemView, path: string): Promise<string | undefined> {
  const real = await resolvePath(view, path);
  if (!real) return undefined;
  const info = await view.stat(real);
  if (info?.type !== 'file') return undefined;
  try {
    return Buffer.from(await view.readFile(real)).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Parses `KEY=value` lines of an os-release file (values may be quoted, with `\` escapes). */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\`$])/g, '$1');
    }
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

/**
 * Identifies the distribution: `/etc/os-release`, then `/usr/lib/os-release`, then the release files
 * of Debian, Alpine and Red Hat-like systems.
 */
export async function detectDistro(view: FileSystemView): Promise<Distro | undefined> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readText(view, path);
    if (!text) continue;
    const kv = parseOsRelease(text);
    const id = kv.get('ID')?.toLowerCase();
    if (!id) continue;
    const idLike = kv.get('ID_LIKE')?.split(/\s+/).filter(Boolean);
    const versionId = kv.get('VERSION_ID');
    const versionCodename = kv.get('VERSION_CODENAME');
    const prettyName = kv.get('PRETTY_NAME');
    return {
      id,
      source: path,
      ...(versionId ? { versionId } : {}),
      ...(versionCodename ? { versionCodename } : {}),
      ...(prettyName ? { prettyName } : {}),
      ...(idLike && idLike.length > 0 ? { idLike } : {}),
    };
  }
  const debian = (await readText(view, '/etc/debian_version'))?.trim();
  if (debian) {
    const m = /^(\d+)/.exec(debian);
    return { id: 'debian', source: '/etc/debian_version', ...(m ? { versionId: m[1]! } : {}) };
  }
  const alpine = (await readText(view, '/etc/alpine-release'))?.trim();
  if (alpine) return { id: 'alpine', versionId: alpine, source: '/etc/alpine-release' };
  for (const path of ['/etc/redhat-release', '/etc/system-release']) {
    const text = (await readText(view, path))?.trim();
    if (!text) continue;
    const m = /^(.*?)\s+release\s+([\d.]+)/i.exec(text);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const id = name.includes('fedora')
      ? 'fedora'
      : name.includes('centos')
        ? 'centos'
        : name.includes('rocky')
          ? 'rocky'
          : name.includes('alma')
            ? 'almalinux'
            : name.includes('amazon')
              ? 'amzn'
              : 'rhel';
    return { id, versionId: m[2]!, source: path, prettyName: text };
  }
  return undefined;
}

/** The `distro` purl qualifier (`debian-12`, `alpine-3.20.2`). */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  if (!distro) return undefined;
  return distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
}

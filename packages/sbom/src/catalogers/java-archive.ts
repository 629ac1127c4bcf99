import type { Cataloger, FoundPackage } from '../cataloger.js';
import { zipEntries, zipRead } from '../internal/zip.js';
import type { License } from '../inventory.js';
import { addLicense, toLicense } from '../license.js';
import { formatPurl } from '../package-url.js';

const ARCHIVE = /\.(?:jar|war|ear|par|sar|nar|jpi|hpi|kar|lpkg)$/i;
const MAX_DEPTH = 4;

/** `key=value` lines of a Java properties file (`#`/`!` comments). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** Main section of a MANIFEST.MF (72-byte continuation lines joined). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last) {
      out.set(last, out.get(last) + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

function nameFromFile(file: string): { name: string; version?: string } {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
  return m ? { name: m[1]!, version: m[2]! } : { name: base };
}

function mavenPackage(
  group: string | undefined,
  artifact: string,
  version: string,
  evidence: string,
  licenses: License[],
  metadata: Record<string, string>,
): FoundPackage {
  return {
    type: 'maven',
    name: artifact,
    version,
    ...(group ? { namespace: group } : {}),
    purl: formatPurl({ type: 'maven', namespace: group, name: artifact, version }),
    cpes: [],
    licenses,
    evidence: [evidence],
    metadata,
  };
}

/** Packages of one archive and, recursively, of the archives nested in it. */
function scanArchive(data: Uint8Array, location: string, depth: number, out: FoundPackage[]): void {
  const entries = zipEntries(data);
  if (!entries) return;
  let manifest = new Map<string, string>();
  const poms: Map<string, string>[] = [];
  for (const e of entries) {
    if (e.name === 'META-INF/MANIFEST.MF') {
      const bytes = zipRead(data, e, 1024 * 1024);
      if (bytes) manifest = parseManifest(Buffer.from(bytes).toString('utf8'));
    } else if (/^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(e.name)) {
      const bytes = zipRead(data, e, 1024 * 1024);
      if (bytes) poms.push(parseProperties(Buffer.from(bytes).toString('utf8')));
    }
  }
  const licenses: License[] = [];
  for (const l of (manifest.get('Bundle-License') ?? '').split(',')) {
    if (l.trim() && !/^https?:/.test(l.trim())) addLicense(licenses, toLicense(l.trim()));
  }
  let found = 0;
  for (const pom of poms) {
    const artifact = pom.get('artifactId');
    const version = pom.get('version');
    if (!artifact || !version) continue;
    found++;
    out.push(mavenPackage(pom.get('groupId'), artifact, version, location, licenses, { archive: location }));
  }
  if (found === 0) {
    const file = nameFromFile(location);
    const version = manifest.get('Implementation-Version') ?? manifest.get('Bundle-Version') ?? file.version;
    const symbolic = manifest.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
    const group =
      manifest.get('Implementation-Vendor-Id') ??
      (symbolic?.includes('.') ? symbolic.slice(0, symbolic.lastIndexOf('.')) : undefined);
    const artifact = file.name || manifest.get('Implementation-Title');
    if (artifact && version) {
      out.push(
        mavenPackage(group, artifact, version, location, licenses, { archive: location, from: 'manifest' }),
      );
    }
  }
  if (depth >= MAX_DEPTH) return;
  for (const e of entries) {
    if (!ARCHIVE.test(e.name)) continue;
    const nested = zipRead(data, e);
    if (nested) scanArchive(nested, `${location}:${e.name}`, depth + 1, out);
  }
}

const SUMMARY = Buffer.from('kaniko-ts java-archive summary v1\n');

/** Java archives (JAR/WAR/EAR…): `pom.properties`, `MANIFEST.MF`, nested archives. */
export const javaArchiveCataloger: Cataloger = {
  name: 'java-archive',
  match(path, info) {
    return info.type === 'file' && ARCHIVE.test(path) ? 'derived' : undefined;
  },
  // While streaming an image, a jar is scanned as soon as it has been read and only its packages are
  // kept, so fat jars never pile up in memory.
  derive(path, data) {
    const out: FoundPackage[] = [];
    scanArchive(data, path, 0, out);
    return Buffer.concat([SUMMARY, Buffer.from(JSON.stringify(out))]);
  },
  async parse(path, data) {
    if (!data) return [];
    let out: FoundPackage[];
    if (Buffer.from(data.subarray(0, SUMMARY.length)).equals(SUMMARY)) {
      out = JSON.parse(Buffer.from(data.subarray(SUMMARY.length)).toString('utf8')) as FoundPackage[];
    } else {
      out = [];
      scanArchive(data, path, 0, out);
    }
    // Evidence of nested packages is the outer file on disk; the nesting is kept in metadata.
    return out.map((p) => ({ ...p, evidence: [path] }));
  },
};

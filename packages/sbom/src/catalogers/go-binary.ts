import type { Cataloger, FoundPackage } from '../cataloger.js';
import { applicationCpe } from '../cpe.js';
import { formatPurl } from '../package-url.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** Module information of a Go binary (`runtime/debug.BuildInfo`). */
export interface GoBuildInfo {
  readonly goVersion: string;
  readonly path?: string;
  readonly main?: GoModule;
  readonly deps: readonly GoModule[];
  readonly settings: ReadonlyMap<string, string>;
}

export interface GoModule {
  readonly path: string;
  readonly version: string;
  readonly sum?: string;
  readonly replace?: GoModule;
}

function uvarint(buf: Uint8Array, at: number): [number, number] {
  let x = 0;
  let s = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    x += (b & 0x7f) * s;
    if (b < 0x80) return [x, i + 1];
    s *= 128;
  }
  return [-1, at];
}

/** Splits modinfo text (`path`, `mod`, `dep`, `=>`, `build` lines) into build info. */
export function parseModInfo(goVersion: string, modinfo: string): GoBuildInfo {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings = new Map<string, string>();
  for (const line of modinfo.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        path = f[1];
        break;
      case 'mod':
        if (f[1]) main = { path: f[1], version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) };
        break;
      case 'dep':
        if (f[1]) deps.push({ path: f[1], version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
        break;
      case '=>': {
        const last = deps.pop();
        if (last && f[1])
          deps.push({
            ...last,
            replace: { path: f[1], version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) },
          });
        break;
      }
      case 'build': {
        const kv = line.slice(6);
        const eq = kv.indexOf('=');
        if (eq > 0) {
          let value = kv.slice(eq + 1);
          if (value.startsWith('"')) {
            try {
              value = JSON.parse(value);
            } catch {
              // keep the quoted form
            }
          }
          settings.set(kv.slice(0, eq), value);
        }
        break;
      }
      default:
        break;
    }
  }
  return { goVersion, deps, settings, ...(path ? { path } : {}), ...(main ? { main } : {}) };
}

/**
 * Decodes the `.go.buildinfo` section (Go ≥ 1.18 inline-string format). Returns undefined for other
 * formats (older Go stores pointers into the data segment).
 */
export function parseGoBuildInfoSection(section: Uint8Array): GoBuildInfo | undefined {
  for (let at = 0; at + 32 <= section.length; at += 16) {
    if (!Buffer.from(section.subarray(at, at + 14)).equals(MAGIC)) continue;
    const flags = section[at + 15]!;
    if ((flags & 2) === 0) return undefined;
    let [len, next] = uvarint(section, at + 32);
    if (len < 0 || next + len > section.length) return undefined;
    const goVersion = Buffer.from(section.subarray(next, next + len)).toString('utf8');
    [len, next] = uvarint(section, next + len);
    if (len < 0 || next + len > section.length) return undefined;
    let mod = Buffer.from(section.subarray(next, next + len)).toString('utf8');
    if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, mod.length - 16);
    else mod = '';
    return parseModInfo(goVersion, mod);
  }
  return undefined;
}

function modulePackage(m: GoModule, info: GoBuildInfo, path: string, main: boolean): FoundPackage {
  // A replacement by another module version is what is compiled in; a local directory replacement keeps the original.
  const effective =
    m.replace && !m.replace.path.startsWith('.') && !m.replace.path.startsWith('/') ? m.replace : m;
  const slash = effective.path.lastIndexOf('/');
  const namespace = slash > 0 ? effective.path.slice(0, slash) : undefined;
  const name = slash > 0 ? effective.path.slice(slash + 1) : effective.path;
  const metadata: Record<string, string> = { goVersion: info.goVersion, modulePath: effective.path };
  if (effective.sum) metadata.h1Digest = effective.sum;
  if (m.replace) metadata.replacedBy = `${m.replace.path} ${m.replace.version}`.trim();
  if (main) {
    metadata.mainModule = 'true';
    for (const key of ['GOOS', 'GOARCH', 'vcs.revision', 'vcs.time']) {
      const v = info.settings.get(key);
      if (v) metadata[key] = v;
    }
  }
  return {
    type: 'golang',
    name,
    version: effective.version,
    ...(namespace ? { namespace } : {}),
    purl: formatPurl({ type: 'golang', namespace, name, version: effective.version }),
    cpes: [],
    licenses: [],
    evidence: [path],
    metadata,
  };
}

const executable = (mode: number) => (mode & 0o111) !== 0;

/** Go modules compiled into ELF executables (`.go.buildinfo`), plus the Go standard library. */
export const goBinaryCataloger: Cataloger = {
  name: 'go-module-binary',
  match(_path, info) {
    return info.type === 'file' && executable(info.mode) ? 'sections' : undefined;
  },
  async parse(path, _data, ctx) {
    const section = (await ctx.view.readSections(path, ['.go.buildinfo'])).get('.go.buildinfo');
    if (!section) return [];
    const info = parseGoBuildInfoSection(section);
    if (!info) {
      ctx.warn(`${path}: Go build info in a pre-1.18 format is not read`);
      return [];
    }
    const out: FoundPackage[] = [];
    if (info.main) out.push(modulePackage(info.main, info, path, true));
    for (const dep of info.deps) out.push(modulePackage(dep, info, path, false));
    const goVersion = /^go(\d[^\s]*)/.exec(info.goVersion)?.[1];
    if (goVersion) {
      out.push({
        type: 'golang',
        name: 'stdlib',
        version: goVersion,
        purl: formatPurl({ type: 'golang', name: 'stdlib', version: goVersion }),
        cpes: [applicationCpe('golang', 'go', goVersion)],
        licenses: [{ expression: 'BSD-3-Clause' }],
        evidence: [path],
        metadata: { goVersion: info.goVersion },
      });
    }
    return out;
  },
};

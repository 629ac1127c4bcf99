import { OciError } from './oci-error.js';

/** A target platform, in the friendly shape used throughout kaniko-ts. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
  /** Extra CPU features (OCI `features`), rarely used. */
  features?: string[];
}

/** A platform exactly as it appears in index descriptors and image configs (`os.version` keys). */
export interface PlatformJson {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  features?: string[];
}

/** Converts to the JSON shape used in descriptors. */
export function toPlatformJson(p: Platform): PlatformJson {
  const out: PlatformJson = { architecture: p.architecture, os: p.os };
  if (p.osVersion) out['os.version'] = p.osVersion;
  if (p.osFeatures?.length) out['os.features'] = [...p.osFeatures];
  if (p.variant) out.variant = p.variant;
  if (p.features?.length) out.features = [...p.features];
  return out;
}

/** Converts from the JSON shape (also accepts an already friendly `Platform`). */
export function fromPlatformJson(p: PlatformJson | Platform): Platform {
  const src = p as Partial<PlatformJson & Platform>;
  const out: Platform = { os: src.os ?? '', architecture: src.architecture ?? '' };
  if (src.variant) out.variant = src.variant;
  const osVersion = src['os.version'] ?? src.osVersion;
  if (osVersion) out.osVersion = osVersion;
  const osFeatures = src['os.features'] ?? src.osFeatures;
  if (osFeatures?.length) out.osFeatures = [...osFeatures];
  if (src.features?.length) out.features = [...src.features];
  return out;
}

/**
 * Parses `os/arch[/variant]` (e.g. `linux/arm64/v8`, `linux/amd64`), also `os(version)/arch`
 * for Windows. Values are normalized with `normalizePlatform`. Throws `INVALID_PLATFORM`.
 */
export function parsePlatform(spec: string): Platform {
  const bad = (why: string) =>
    new OciError('INVALID_PLATFORM', `parsing platform ${JSON.stringify(spec)}: ${why}`);
  const parts = spec.trim().split('/');
  if (parts.length < 2 || parts.length > 3) throw bad('expected os/architecture[/variant]');
  if (parts.some((p) => p === '')) throw bad('empty component');
  let osPart = parts[0]!;
  let osVersion: string | undefined;
  const m = /^([^()]+)\(([^()]+)\)$/.exec(osPart);
  if (m) {
    osPart = m[1]!;
    osVersion = m[2]!;
  } else if (/[()]/.test(osPart)) throw bad('unbalanced os version parentheses');
  for (const p of [osPart, ...parts.slice(1)]) {
    if (!/^[A-Za-z0-9_.-]+$/.test(p)) throw bad(`invalid component ${JSON.stringify(p)}`);
  }
  const p: Platform = { os: osPart, architecture: parts[1]! };
  if (parts[2]) p.variant = parts[2];
  if (osVersion) p.osVersion = osVersion;
  return normalizePlatform(p);
}

/** Formats as `os/arch[/variant]` (the `docker --platform` syntax; OS version is not included). */
export function formatPlatform(p: Platform | PlatformJson): string {
  const f = fromPlatformJson(p);
  return f.variant ? `${f.os}/${f.architecture}/${f.variant}` : `${f.os}/${f.architecture}`;
}

function normalizeArch(arch: string, variant: string | undefined): [string, string | undefined] {
  const a = arch.toLowerCase();
  const v = variant?.toLowerCase();
  switch (a) {
    case 'i386':
    case '386':
    case 'i486':
    case 'i586':
    case 'i686':
      return ['386', undefined];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', v === 'v1' ? undefined : v];
    case 'aarch64':
    case 'arm64':
      return ['arm64', v === '8' || v === 'v8' ? undefined : v];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm': {
      if (v === undefined || v === '' || v === '7') return ['arm', 'v7'];
      if (v === '5' || v === '6' || v === '8') return ['arm', `v${v}`];
      return ['arm', v];
    }
    default:
      return [a, v];
  }
}

/**
 * Normalizes like containerd's `platforms.Normalize`: lower-case OS (`macos`→`darwin`),
 * `x86_64`/`x86-64`→`amd64`, `aarch64`→`arm64` (variant `v8` dropped as the default), `armhf`→`arm/v7`,
 * `armel`→`arm/v6`, bare `arm`→`arm/v7`, `i386`/`i686`→`386`.
 */
export function normalizePlatform(p: Platform | PlatformJson): Platform {
  const f = fromPlatformJson(p);
  let os = f.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  const [architecture, variant] = normalizeArch(f.architecture, f.variant);
  const out: Platform = { ...f, os, architecture };
  if (variant) out.variant = variant;
  else delete out.variant;
  return out;
}

/**
 * True when an image for `have` satisfies a request for `want`: same OS and architecture after
 * normalization; variant must match when `want` names one (a missing `have` variant matches the
 * default variant); `osVersion` must match when `want` names one; `want.osFeatures` must all be present.
 */
export function platformMatches(want: Platform | PlatformJson, have: Platform | PlatformJson): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.variant && w.variant !== h.variant) return false;
  if (w.osVersion && w.osVersion !== h.osVersion) return false;
  for (const feature of w.osFeatures ?? []) if (!h.osFeatures?.includes(feature)) return false;
  return true;
}

/**
 * The default Linux platform for a Node architecture name (`process.arch`/`os.arch()` values such as
 * `x64`, `arm64`, `arm`, `ia32`, `ppc64`, `s390x`, `riscv64`). The caller passes the architecture.
 */
export function defaultPlatform(nodeArch: string, armVersion?: string): Platform {
  const byNode: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
    mips64el: 'mips64le',
  };
  const architecture = byNode[nodeArch] ?? nodeArch;
  return normalizePlatform({
    os: 'linux',
    architecture,
    ...(architecture === 'arm' && armVersion ? { variant: `v${armVersion}` } : {}),
  });
}

/** An `os/arch[/variant]` platform, normalized as containerd's `platforms.Normalize`. */
export interface PlatformParts {
  os: string;
  arch: string;
  variant: string;
}

export function normalizePlatform(text: string): PlatformParts {
  const [osRaw = '', archRaw = '', variantRaw = ''] = text.trim().toLowerCase().split('/');
  const os = osRaw === 'macos' ? 'darwin' : osRaw;
  let arch = archRaw;
  let variant = variantRaw;
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return { os, arch, variant };
}

export function formatPlatform(p: PlatformParts): string {
  return [p.os, p.arch, p.variant].filter((s) => s !== '').join('/');
}

/**
 * The automatic platform ARGs BuildKit defines for every build: usable in FROM lines, and inside a
 * stage once declared with `ARG NAME` (no default needed).
 */
export function platformArgs(target: string, build: string): Array<[string, string]> {
  const t = normalizePlatform(target);
  const b = normalizePlatform(build);
  return [
    ['BUILDPLATFORM', formatPlatform(b)],
    ['BUILDOS', b.os],
    ['BUILDARCH', b.arch],
    ['BUILDVARIANT', b.variant],
    ['TARGETPLATFORM', formatPlatform(t)],
    ['TARGETOS', t.os],
    ['TARGETARCH', t.arch],
    ['TARGETVARIANT', t.variant],
  ];
}

/** Build args every Dockerfile may receive without declaring them; RUN gets them, history does not. */
export const PROXY_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
] as const;

/** Default PATH of an image without one (BuildKit's `system.DefaultPathEnv` for Linux). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

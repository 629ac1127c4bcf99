import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runCommand } from './run-command.js';

/** A system tool the tests need, and the Debian 12 package that provides it. */
export interface ToolSpec {
  tool: string;
  pkg: string;
  /** True when the tool is usable without installing anything. */
  present(): boolean;
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds an executable on PATH (plus the sbin directories, which a non-login root shell may lack). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const onPath = (tool: string, pkg: string): ToolSpec => ({
  tool,
  pkg,
  present: () => findExecutable(tool) !== undefined,
});

/** Everything the real-component tests use. `busybox-static` must be the static build at /bin/busybox. */
export const TEST_TOOLS: readonly ToolSpec[] = [
  onPath('docker-registry', 'docker-registry'),
  onPath('skopeo', 'skopeo'),
  onPath('umoci', 'umoci'),
  onPath('podman', 'podman'),
  onPath('buildah', 'buildah'),
  onPath('bwrap', 'bubblewrap'),
  {
    tool: '/bin/busybox (static)',
    pkg: 'busybox-static',
    present: () => dpkgInstalledSync('busybox-static'),
  },
  onPath('mmdebstrap', 'mmdebstrap'),
  onPath('openssl', 'openssl'),
  onPath('htpasswd', 'apache2-utils'),
  onPath('runc', 'runc'),
  onPath('newuidmap', 'uidmap'),
  // RUN executor and layer attributes (builder), compression interop (oci)
  onPath('unshare', 'util-linux'),
  onPath('setpriv', 'util-linux'),
  onPath('getfattr', 'attr'),
  onPath('getcap', 'libcap2-bin'),
  onPath('zstd', 'zstd'),
  onPath('gzip', 'gzip'),
  onPath('pigz', 'pigz'),
  onPath('git', 'git'),
  onPath('objcopy', 'binutils'),
  // gitlab-ci-local's shell executor copies the project with rsync
  onPath('rsync', 'rsync'),
  // the GitHub action's non-root runner test escalates through sudo -n
  onPath('sudo', 'sudo'),
];

/** Extra tools only the benchmarks need (`/usr/bin/time -v` for peak RSS). */
export const BENCH_TOOLS: readonly ToolSpec[] = [
  { tool: '/usr/bin/time', pkg: 'time', present: () => existsSync('/usr/bin/time') },
];

function dpkgInstalledSync(pkg: string): boolean {
  // dpkg's status database: a cheap, synchronous check that needs no child process.
  return existsSync(`/var/lib/dpkg/info/${pkg}.list`) || existsSync(`/var/lib/dpkg/info/${pkg}:amd64.list`);
}

export interface EnsureToolsOptions {
  tools?: readonly ToolSpec[];
  log?: (line: string) => void;
  /** Lock file that serializes apt with every other process on this machine. */
  aptLock?: string;
}

export interface EnsureToolsResult {
  /** Packages that were missing and have now been installed (empty on a prepared machine). */
  installed: string[];
  durationMs: number;
}

// Runs under flock: re-checks what is missing (another process may have installed it meanwhile),
// keeps the docker-registry package's own service from starting, installs, then stops/disables it.
const INSTALL_SCRIPT = `
set -eu
need=""
for p in "$@"; do
  if ! dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then need="$need $p"; fi
done
if [ -z "$need" ]; then echo "[harness] nothing left to install (another process installed it)"; exit 0; fi
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\\n# kaniko-ts test harness: no service starts during apt-get install\\nexit 101\\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
echo "[harness] apt-get update"
apt-get update -q
echo "[harness] apt-get install -y --no-install-recommends$need"
apt-get install -y -q --no-install-recommends $need
`;

// The packaged docker-registry service listens on :5000 with its own storage; the tests start their own
// instances, so the packaged one must not run. Safe to run on every setup (a few milliseconds).
const STOP_PACKAGED_REGISTRY = `
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  if systemctl is-enabled --quiet docker-registry.service 2>/dev/null || systemctl is-active --quiet docker-registry.service 2>/dev/null; then
    echo "[harness] stopping and disabling the packaged docker-registry.service"
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  fi
elif [ -s /var/run/docker-registry.pid ] && [ -x /etc/init.d/docker-registry ]; then
  if kill -0 "$(cat /var/run/docker-registry.pid)" 2>/dev/null; then
    echo "[harness] stopping the packaged docker-registry init service"
    /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
  fi
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
fi
exit 0
`;

/**
 * Installs the Debian packages of any missing test tool: one `apt-get update`, then
 * `apt-get install -y --no-install-recommends <missing>`, serialized with `flock` on `aptLock`.
 * Idempotent; on a prepared machine it only checks files and returns in milliseconds.
 */
export async function ensureTools(opts: EnsureToolsOptions = {}): Promise<EnsureToolsResult> {
  const started = performance.now();
  const tools = opts.tools ?? TEST_TOOLS;
  const log = opts.log ?? ((line: string) => console.log(line));
  const missing = tools.filter((t) => !t.present());
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  if (pkgs.length > 0) {
    log(`[harness] missing test tools: ${missing.map((t) => `${t.tool} (${t.pkg})`).join(', ')}`);
    if (process.getuid?.() !== 0) {
      throw new Error(
        `ensuring test tools: missing ${missing.map((t) => t.tool).join(', ')}; ` +
          `run as root or install them: apt-get install -y --no-install-recommends ${pkgs.join(' ')}`,
      );
    }
    if (!findExecutable('flock') || !findExecutable('apt-get')) {
      throw new Error(`ensuring test tools: apt-get and flock are needed to install ${pkgs.join(' ')}`);
    }
    const lock = opts.aptLock ?? '/tmp/kaniko-apt.lock';
    log(`[harness] installing ${pkgs.join(' ')} (waiting for ${lock})`);
    const r = await runCommand('flock', [lock, 'sh', '-c', INSTALL_SCRIPT, 'install', ...pkgs], {
      inherit: true,
    });
    if (r.exitCode !== 0) {
      throw new Error(
        `ensuring test tools: apt-get install of ${pkgs.join(' ')} failed with exit code ${r.exitCode}: ` +
          (r.stderr || r.stdout).trim().slice(-1500),
      );
    }
    const still = tools.filter((t) => !t.present());
    if (still.length > 0) {
      throw new Error(
        `ensuring test tools: still missing after installing: ${still.map((t) => `${t.tool} (${t.pkg})`).join(', ')}`,
      );
    }
  }
  if (tools.some((t) => t.pkg === 'docker-registry')) {
    const r = await runCommand('sh', ['-c', STOP_PACKAGED_REGISTRY]);
    if (r.stdout.trim()) log(r.stdout.trim());
  }
  return { installed: pkgs, durationMs: performance.now() - started };
}

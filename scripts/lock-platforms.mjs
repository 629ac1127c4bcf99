// Records in package-lock.json the optional platform packages npm could not resolve (binaries for
// other operating systems that the npm registry reachable here does not serve, e.g. biome's darwin
// builds). Without an entry, `npm ci` refuses the lock ("Missing: @biomejs/cli-darwin-arm64@ from
// lock file"); with one it knows the package is for another platform and skips it.
// Run after `npm install <pkg>`: `npm run lock:platforms`. `--check` fails when entries are missing.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = [
  'aix',
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
  'windows',
];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  let os = OS.find((o) => parts.includes(o));
  if (os === 'windows') os = 'win32';
  let cpu = CPU.find((c) => parts.includes(c));
  if (!cpu && parts.includes('64')) cpu = 'x64';
  const entry = { os: [os ?? '!linux'] };
  if (cpu) entry.cpu = [cpu];
  if (parts.includes('musl')) entry.libc = ['musl'];
  return entry;
}

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const missing = [];
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${key ? `${key}/` : ''}node_modules/${dep}`;
    if (packages[`node_modules/${dep}`] || packages[nested]) continue;
    missing.push(dep);
    packages[`node_modules/${dep}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platformOf(dep),
    };
  }
}
if (process.argv.includes('--check')) {
  if (missing.length) {
    console.error(
      `package-lock.json lacks ${missing.length} optional platform packages (npm ci would refuse it): run npm run lock:platforms`,
    );
    process.exit(1);
  }
  process.exit(0);
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(missing.length ? `recorded ${missing.length}: ${missing.join(', ')}` : 'nothing missing');

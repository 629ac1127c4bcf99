#!/usr/bin/env node
// Assembles the build context of gitlab-components/executor/Dockerfile in <dir>: the CLI bundle
// (scripts/gen-bundles.mjs --cli) and Node 24 under /kaniko-ts, the shared libraries node links
// against (from `ldd`), CA certificates and a static busybox as /bin/sh. Linux x86_64/arm64 hosts.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2];
if (!dir) throw new Error('usage: gen-executor-context.mjs <dir>');
const rootfs = join(dir, 'rootfs');
const put = (from, to, mode) => {
  mkdirSync(dirname(join(rootfs, to)), { recursive: true });
  copyFileSync(from, join(rootfs, to));
  if (mode) chmodSync(join(rootfs, to), mode);
};

copyFileSync(join(root, 'gitlab-components', 'executor', 'Dockerfile'), join(dir, 'Dockerfile'));
execFileSync(process.execPath, [
  join(root, 'scripts', 'gen-bundles.mjs'),
  ...(process.argv.includes('--from-head') ? ['--from-head'] : []),
  '--cli',
  join(rootfs, 'kaniko-ts', 'kaniko-ts.mjs'),
]);
const node = realpathSync(join(root, 'node_modules', 'node', 'bin', 'node'));
put(node, 'kaniko-ts/bin/node', 0o755);
writeFileSync(
  join(rootfs, 'kaniko-ts', 'bin', 'kaniko-ts'),
  '#!/bin/sh\nexec /kaniko-ts/bin/node /kaniko-ts/kaniko-ts.mjs "$@"\n',
  { mode: 0o755 },
);
for (const line of execFileSync('ldd', [node]).toString().split('\n')) {
  const lib = /=>\s+(\S+)/.exec(line)?.[1] ?? /^\s+(\/\S+)\s+\(/.exec(line)?.[1];
  if (lib) put(realpathSync(lib), lib, 0o755);
}
put('/etc/ssl/certs/ca-certificates.crt', 'etc/ssl/certs/ca-certificates.crt');
put('/bin/busybox', 'bin/busybox', 0o755);
for (const applet of ['sh', 'cat', 'echo', 'env', 'ls', 'test', 'mkdir', 'rm', 'cp']) {
  symlinkSync('busybox', join(rootfs, 'bin', applet));
}
// Job scripts and mkdtemp need a writable /tmp.
mkdirSync(join(rootfs, 'tmp'), { recursive: true });
chmodSync(join(rootfs, 'tmp'), 0o1777);
console.log(`executor context in ${dir}`);

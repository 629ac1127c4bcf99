// `npm run quickstart`: build the embedded example into an OCI layout, sign it with a fresh cosign
// key pair and verify the signature — no registry, no network, no Docker daemon.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// KANIKO_TS_QUICKSTART_OUT lets the test run it without touching ./out
const outDir = process.env.KANIKO_TS_QUICKSTART_OUT ?? 'out';
const out = `${outDir}/quickstart`;
const cli = (args, env = {}) => {
  console.log(`\n$ kaniko-ts ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['packages/cli/dist/bin.js', ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

spawnSync(process.execPath, ['examples/quickstart/make-hello.mjs'], { cwd: root, stdio: 'inherit' });
rmSync(join(root, outDir), { recursive: true, force: true });
mkdirSync(join(root, outDir), { recursive: true });
const password = { COSIGN_PASSWORD: 'kaniko-ts-quick-start-password' };
cli([
  'build',
  '--context',
  'examples/quickstart',
  '--destination',
  'quickstart:latest',
  '--no-push',
  '--oci-layout-path',
  out,
  '--reproducible',
]);
cli(['generate-key-pair', '--output-key-prefix', `${outDir}/cosign`], password);
cli(['sign', '--image', `oci:${out}:latest`, '--key', `${outDir}/cosign.key`, '--no-tlog-upload'], password);
cli(['verify', '--image', `oci:${out}:latest`, '--key', `${outDir}/cosign.pub`, '--ignore-tlog']);

console.log(`
Built, signed and verified ${out} (an OCI image layout).
Run it:       podman run --rm oci:${out}:latest
Inspect it:   skopeo inspect oci:${out}:latest
Push it:      skopeo copy oci:${out}:latest docker://<registry>/<repo>:<tag>
`);

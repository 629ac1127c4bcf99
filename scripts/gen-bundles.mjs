#!/usr/bin/env node
// Bundles each GitHub Action's entry (packages/github/src/actions/<step>.ts) into
// actions/<step>/dist/index.js with esbuild: ESM, Node 24, all dependencies inlined.
// `--check` rebuilds in memory and fails when a committed bundle differs (CI's check-dist).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
export const ACTION_STEPS = ['build', 'sign', 'attest-sbom', 'verify', 'index'];

/** Resolve @kaniko-ts/<pkg> to its TypeScript sources, so bundles never depend on a stale dist. */
const sources = {
  name: 'kaniko-ts-sources',
  setup(b) {
    b.onResolve({ filter: /^@kaniko-ts\/[a-z-]+$/ }, (args) => ({
      path: join(root, 'packages', args.path.slice('@kaniko-ts/'.length), 'src', 'index.ts'),
    }));
  },
};

let drift = 0;
for (const step of ACTION_STEPS) {
  const out = join(root, 'actions', step, 'dist', 'index.js');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join('packages', 'github', 'src', 'actions', `${step}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    outfile: out,
    write: false,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [sources],
    banner: {
      js: "import { createRequire as __kanikoCreateRequire } from 'node:module'; const require = __kanikoCreateRequire(import.meta.url);",
    },
  });
  const text = result.outputFiles[0].contents;
  if (check) {
    const same = existsSync(out) && Buffer.compare(readFileSync(out), Buffer.from(text)) === 0;
    if (!same) {
      drift++;
      console.error(`actions/${step}/dist/index.js is out of date: run node scripts/gen-bundles.mjs`);
    }
  } else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    console.log(`actions/${step}/dist/index.js ${(text.length / 1024).toFixed(0)} KiB`);
  }
}
if (drift > 0) process.exit(1);

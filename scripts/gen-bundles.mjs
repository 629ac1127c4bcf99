#!/usr/bin/env node
// Bundles each GitHub Action's entry (packages/github/src/actions/<step>.ts) into
// actions/<step>/dist/index.js with esbuild: ESM, Node 24, all dependencies inlined.
// `--check` rebuilds in memory and fails when a committed bundle differs (CI's check-dist).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
// `--from-head`: bundle the committed sources (git archive HEAD), not the working tree, so a bundle
// never contains someone's uncommitted edits in a shared checkout.
const fromHead = process.argv.includes('--from-head');
let srcRoot = root;
if (fromHead) {
  srcRoot = mkdtempSync(join(tmpdir(), 'kaniko-ts-head-'));
  execFileSync('sh', [
    '-c',
    `git -C "${root}" archive HEAD packages tsconfig.base.json | tar -x -C "${srcRoot}"`,
  ]);
}
export const ACTION_STEPS = ['build', 'sign', 'attest-sbom', 'verify', 'index'];

/** Resolve @kaniko-ts/<pkg> to its TypeScript sources, so bundles never depend on a stale dist. */
const sources = {
  name: 'kaniko-ts-sources',
  setup(b) {
    b.onResolve({ filter: /^@kaniko-ts\/[a-z-]+$/ }, (args) => ({
      path: join(srcRoot, 'packages', args.path.slice('@kaniko-ts/'.length), 'src', 'index.ts'),
    }));
    // `const require = createRequire(import.meta.url)` hides data files (JSON) from the bundler and
    // resolves them at run time, where an action checkout has no node_modules. Dropping the line lets
    // the plain `require('pkg/file.json')` be bundled. (Better: JSON imports in the packages.)
    b.onLoad({ filter: /[\\/]packages[\\/][a-z-]+[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)')) return undefined;
      return {
        contents: text.replace(/const require = createRequire\(import\.meta\.url\);/g, ''),
        loader: 'ts',
      };
    });
  },
};

/** esbuild options shared by the action bundles and the CLI bundle. */
const options = (entry, outfile) => ({
  absWorkingDir: root,
  entryPoints: [entry],
  nodePaths: [join(root, 'node_modules')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  outfile,
  write: false,
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Native addons (the builder's xattr binding) are copied next to the bundle and loaded from there.
  loader: { '.node': 'copy' },
  plugins: [sources],
  banner: {
    js: [
      "import { createRequire as __kanikoCreateRequire } from 'node:module';",
      "import { fileURLToPath as __kanikoFileURLToPath } from 'node:url';",
      'const require = __kanikoCreateRequire(import.meta.url);',
      'const __filename = __kanikoFileURLToPath(import.meta.url);',
      "const __dirname = __kanikoFileURLToPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
});

/**
 * The CLI bundle resolves `@kaniko-ts/steps` to the modules that describe the steps (specs, input
 * parsing, help helpers) everywhere except in packages/cli/src/load-step.ts, which main.ts imports
 * dynamically when a command runs. With code splitting that puts the steps' code and every library
 * they call (builder, registry, sigstore, sbom) in chunks that `--version`, `--help` and usage errors
 * never load. An import of anything else from `@kaniko-ts/steps` outside load-step.ts fails the bundle
 * ("No matching export"), so the split cannot silently pull the whole package back in.
 */
const stepSpecsOnly = {
  name: 'kaniko-ts-step-specs',
  setup(b) {
    const steps = join(srcRoot, 'packages', 'steps', 'src');
    b.onResolve({ filter: /^@kaniko-ts\/steps$/ }, (args) =>
      /[\\/]packages[\\/]cli[\\/]src[\\/]load-step\.ts$/.test(args.importer)
        ? undefined
        : { path: 'step-specs', namespace: 'kaniko-ts-step-specs' },
    );
    b.onLoad({ filter: /.*/, namespace: 'kaniko-ts-step-specs' }, () => {
      const specs = readdirSync(steps, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(steps, d.name, 'spec.ts')))
        .map((d) => join(steps, d.name, 'spec.ts'));
      const light = ['step-spec.ts', 'parse-inputs.ts', 'define-step.ts', 'steps-error.ts', 'yaml-string.ts'];
      const files = [...specs.sort(), ...light.map((f) => join(steps, f))];
      return {
        contents: files.map((f) => `export * from ${JSON.stringify(f)};`).join('\n'),
        loader: 'ts',
        resolveDir: steps,
      };
    });
  },
};

/**
 * napi-rs loaders (the builder's xattr binding) start with `require = createRequire(__filename)`. Split
 * into chunks, esbuild's `require` shim becomes an import binding of the chunk, and assigning to it
 * throws, so the native binding would never load. In the bundle both are the same require (the
 * banner's, relative to the chunk), so the assignment is dropped.
 */
const napiRequire = {
  name: 'kaniko-ts-napi-require',
  setup(b) {
    b.onLoad({ filter: /[\\/]@napi-rs[\\/][a-z-]+[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const line = 'require = createRequire(__filename)';
      if (!text.includes(line)) return undefined;
      return { contents: text.replace(line, ''), loader: 'js' };
    });
  },
};

/**
 * undici's Client requires its HTTP/2 connector at load time, and that file loads `node:http2` (which
 * loads `node:tls`): ~14 ms of a warm build's start-up on a 2-core machine, for a connector our
 * Agents never use (`allowH2: false`, so ALPN never picks h2). The require moves into the one call
 * site, so the connector is loaded only if it is ever called. When undici's line changes shape the
 * bundle fails here rather than silently loading http2 again.
 */
const lazyHttp2 = {
  name: 'kaniko-ts-lazy-undici-h2',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const line = "const connectH2 = require('./client-h2.js')";
      if (!text.includes(line)) throw new Error(`${args.path}: no "${line}" to make lazy (undici changed?)`);
      const lazy = "const connectH2 = (client, socket) => require('./client-h2.js')(client, socket)";
      return { contents: text.replace(line, lazy), loader: 'js' };
    });
  },
};

// `--cli <file>`: the CLI for the executor image and tests: <file> is the entry, and beside it the
// chunks it loads on demand (<name>-*.mjs), the build bundle (<name>-build.cjs) and native addons.
// Copy the directory's files together.
const cliAt = process.argv.indexOf('--cli');
if (cliAt >= 0) {
  const out = process.argv[cliAt + 1];
  if (!out) throw new Error('--cli needs an output file');
  const ext = extname(out) || '.mjs';
  const name = basename(out, ext);
  const metaAt = process.argv.indexOf('--metafile');
  const { outfile: _, ...common } = options(join(srcRoot, 'packages', 'cli', 'src', 'bin.ts'), out);
  const result = await build({
    ...common,
    entryPoints: { [name]: join(srcRoot, 'packages', 'cli', 'src', 'bin.ts') },
    outdir: dirname(out),
    splitting: true,
    entryNames: '[name]',
    chunkNames: `${name}-[name]-[hash]`,
    outExtension: { '.js': ext },
    plugins: [stepSpecsOnly, napiRequire, lazyHttp2, sources],
    write: true,
    metafile: metaAt >= 0,
  });
  // `<name>-build.cjs`: `build` with the build step alone, in one CommonJS file, which bin.ts runs
  // through a V8 code cache made at the end of a build (packages/cli/src/cached-script.ts): node
  // caches ES modules' code only as compiled at load time, before any function is called.
  const buildBundle = await build({
    ...common,
    entryPoints: [join(srcRoot, 'packages', 'cli', 'src', 'build-main.ts')],
    outfile: join(dirname(out), `${name}-build.cjs`),
    format: 'cjs',
    plugins: [napiRequire, lazyHttp2, sources],
    define: { 'import.meta.url': '__kanikoImportMetaUrl' },
    banner: { js: "const __kanikoImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    write: true,
    metafile: metaAt >= 0,
  });
  // `--metafile <file>`: which sources went into which output file (tests check what a command loads)
  if (metaAt >= 0) {
    const merged = {
      inputs: { ...result.metafile.inputs, ...buildBundle.metafile.inputs },
      outputs: { ...result.metafile.outputs, ...buildBundle.metafile.outputs },
    };
    writeFileSync(process.argv[metaAt + 1], JSON.stringify(merged));
  }
  if (fromHead) rmSync(srcRoot, { recursive: true, force: true });
  process.exit(0);
}

let drift = 0;
for (const step of ACTION_STEPS) {
  const out = join(root, 'actions', step, 'dist', 'index.js');
  const result = await build(
    options(join(srcRoot, 'packages', 'github', 'src', 'actions', `${step}.ts`), out),
  );
  for (const file of result.outputFiles) {
    const rel = relative(root, file.path);
    if (check) {
      const same =
        existsSync(file.path) && Buffer.compare(readFileSync(file.path), Buffer.from(file.contents)) === 0;
      if (!same) {
        drift++;
        console.error(`${rel} is out of date: run node scripts/gen-bundles.mjs`);
      }
    } else {
      mkdirSync(dirname(file.path), { recursive: true });
      writeFileSync(file.path, file.contents);
      console.log(`${rel} ${(file.contents.length / 1024).toFixed(0)} KiB`);
    }
  }
}
if (fromHead) rmSync(srcRoot, { recursive: true, force: true });
if (drift > 0) process.exit(1);

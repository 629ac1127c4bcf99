import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layer diagram of ARCHITECTURE.md, enforced mechanically: a package may import only packages
 * in a lower layer, and nothing below the adapters may touch the CI environment.
 */
const layers: Record<string, number> = {
  oci: 0,
  registry: 1,
  dockerfile: 1,
  builder: 2,
  sbom: 2,
  sigstore: 2,
  steps: 3,
  github: 4,
  gitlab: 4,
  // The CLI is what GitLab jobs run, so it builds on the GitLab adapter (environment → inputs, dotenv).
  cli: 5,
};
const adapters = new Set(['github', 'gitlab', 'cli']);
const root = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    specs.push((m[1] ?? m[2]) as string);
  }
  return specs;
}

/** Source text with comments blanked, so documentation may mention `process.env`. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const packages = readdirSync(join(root, 'packages')).filter((p) =>
  statSync(join(root, 'packages', p)).isDirectory(),
);

describe('package boundaries', () => {
  it('knows the layer of every package', () => {
    expect(packages.filter((p) => !(p in layers))).toEqual([]);
  });

  for (const pkg of packages) {
    const files = sourceFiles(join(root, 'packages', pkg, 'src'));

    it(`${pkg} imports only packages below it`, () => {
      const violations: string[] = [];
      for (const file of files) {
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          const m = /^@kaniko-ts\/([a-z-]+)/.exec(spec);
          if (!m) continue;
          const target = m[1] as string;
          if (!(target in layers) || (layers[target] as number) >= (layers[pkg] as number)) {
            violations.push(`${relative(root, file)} imports ${spec}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });

    if (!adapters.has(pkg)) {
      it(`${pkg} does not touch the CI environment (@actions/*, process.env)`, () => {
        const violations: string[] = [];
        for (const file of files) {
          const text = withoutComments(readFileSync(file, 'utf8'));
          for (const spec of importsOf(text)) {
            if (spec.startsWith('@actions/')) violations.push(`${relative(root, file)} imports ${spec}`);
          }
          if (/\bprocess\.env\b/.test(text)) violations.push(`${relative(root, file)} reads process.env`);
        }
        expect(violations).toEqual([]);
      });
    }
  }

  it('ignores comments but not code', () => {
    expect(
      /\bprocess\.env\b/.test(withoutComments('/** never reads process.env */\n// nor process.env')),
    ).toBe(false);
    expect(/\bprocess\.env\b/.test(withoutComments('const e = process.env; // read'))).toBe(true);
  });

  it('detects a violation when one is present', () => {
    expect(
      importsOf(`import { x } from '@actions/core';\nconst m = await import('@kaniko-ts/cli');`),
    ).toEqual(['@actions/core', '@kaniko-ts/cli']);
  });
});

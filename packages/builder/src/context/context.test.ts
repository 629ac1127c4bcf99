import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIgnoreMatcher } from '@kaniko-ts/dockerfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderError } from '../builder-error.js';
import type { ContextSource } from './context-source.js';
import { openDirectoryContext, openTarContext } from './tar-context.js';

let base: string;
let ctx: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-ctx-'));
  ctx = join(base, 'ctx');
  outside = join(base, 'outside');
  await mkdir(join(ctx, 'src/lib'), { recursive: true });
  await mkdir(join(ctx, 'node_modules/pkg'), { recursive: true });
  await mkdir(join(ctx, 'docs'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host secret');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\n');
  await writeFile(join(ctx, 'src/main.ts'), 'main');
  await writeFile(join(ctx, 'src/lib/a.ts'), 'a');
  await writeFile(join(ctx, 'node_modules/pkg/index.js'), 'pkg');
  await writeFile(join(ctx, 'docs/keep.md'), 'keep');
  await writeFile(join(ctx, 'docs/drop.md'), 'drop');
  await writeFile(join(ctx, '.wh.not-a-whiteout'), 'plain file');
  await symlink(outside, join(ctx, 'escape'));
  await symlink('../../outside/secret', join(ctx, 'src/rel-escape'));
  await symlink('main.ts', join(ctx, 'src/alias'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const ignore = createIgnoreMatcher('node_modules\ndocs\n!docs/keep.md\n');
const exclude = (rel: string): boolean => ignore.ignores(rel);

async function contexts(): Promise<Array<[string, ContextSource]>> {
  const tarPath = join(base, 'ctx.tar.gz');
  execFileSync('tar', ['-C', ctx, '-czf', tarPath, '.']);
  const plainTar = join(base, 'ctx.tar');
  execFileSync('tar', ['-C', ctx, '-cf', plainTar, '.']);
  return [
    ['directory', openDirectoryContext(ctx, { exclude })],
    ['tar.gz file', await openTarContext(tarPath, { scratchDir: base, exclude })],
    ['tar stream', await openTarContext(createReadStream(plainTar), { scratchDir: base, exclude })],
  ];
}

describe('context sources', () => {
  it('list visible entries only, with re-included paths under excluded directories', async () => {
    for (const [kind, c] of await contexts()) {
      const paths = (await c.list()).map((e) => e.path);
      expect(paths, kind).toEqual([
        '.wh.not-a-whiteout',
        'Dockerfile',
        'docs',
        'docs/keep.md',
        'escape',
        'src',
        'src/alias',
        'src/lib',
        'src/lib/a.ts',
        'src/main.ts',
        'src/rel-escape',
      ]);
      expect(c.visible('node_modules/pkg/index.js')).toBe(false);
      expect(c.visible('src/main.ts')).toBe(true);
      await c.dispose();
    }
  });

  it('never read outside the context through symlinks', async () => {
    for (const [kind, c] of await contexts()) {
      // `escape` -> <abs path of outside>: resolved inside the context, where it does not exist
      await expect(c.readFile('escape/secret'), kind).rejects.toBeInstanceOf(BuilderError);
      await expect(c.readFile('src/rel-escape'), kind).rejects.toBeInstanceOf(BuilderError);
      await expect(c.readFile('../outside/secret'), kind).rejects.toThrow(/outside the context/);
      expect((await c.readFile('src/alias')).toString(), kind).toBe('main');
      expect(await c.stat('escape/secret', { follow: true })).toBeUndefined();
      expect((await c.stat('src/alias'))?.type).toBe('symlink');
      expect((await c.stat('src/alias', { follow: true }))?.type).toBe('file');
      await expect(c.readFile('docs/drop.md'), kind).rejects.toThrow(/not a visible file/);
      await c.dispose();
    }
  });

  it('digests content and mode, not mtimes or owners, identically for every source kind', async () => {
    const all = await contexts();
    const digests = await Promise.all(
      all.map(([, c]) => Promise.all(['src', 'src/main.ts', ''].map((p) => c.digest(p)))),
    );
    expect(digests[1]).toEqual(digests[0]);
    expect(digests[2]).toEqual(digests[0]);
    for (const [, c] of all) await c.dispose();

    const before = openDirectoryContext(ctx, { exclude });
    const src = await before.digest('src');
    const root = await before.digest('');
    // touching mtimes and owners changes nothing
    await utimes(join(ctx, 'src/main.ts'), 1, 1);
    execFileSync('chown', ['-R', '1234:1234', join(ctx, 'src')]);
    // nor does an excluded file
    await writeFile(join(ctx, 'docs/drop.md'), 'changed but ignored');
    const same = openDirectoryContext(ctx, { exclude });
    expect(await same.digest('src')).toBe(src);
    expect(await same.digest('')).toBe(root);
    // content and mode do
    await chmod(join(ctx, 'src/lib/a.ts'), 0o755);
    const moded = openDirectoryContext(ctx, { exclude });
    expect(await moded.digest('src')).not.toBe(src);
    expect(await moded.digest('src/main.ts')).toBe(await same.digest('src/main.ts'));
    await writeFile(join(ctx, 'src/main.ts'), 'main!');
    const changed = openDirectoryContext(ctx, { exclude });
    expect(await changed.digest('src/main.ts')).not.toBe(await same.digest('src/main.ts'));
    // a re-included file under an excluded directory counts
    const rootBefore = await changed.digest('');
    await writeFile(join(ctx, 'docs/keep.md'), 'keep changed');
    expect(await openDirectoryContext(ctx, { exclude }).digest('')).not.toBe(rootBefore);
  });

  it('keeps .wh. names as files, refuses hostile archives and cleans up', async () => {
    for (const [kind, c] of await contexts()) {
      expect((await c.readFile('.wh.not-a-whiteout')).toString(), kind).toBe('plain file');
      await c.dispose();
    }
    const evil = join(base, 'evil');
    await mkdir(evil);
    await writeFile(join(evil, 'x'), 'x');
    const evilTar = join(base, 'evil.tar');
    execFileSync('tar', ['-C', evil, '-cf', evilTar, '--transform', 's,^x$,../../x,', '-P', 'x']);
    const error = await openTarContext(evilTar, { scratchDir: base }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderError);
    expect((error as BuilderError).entry).toBe('../../x');
    const left = (await readdir(base)).filter((n) => n.startsWith('context-'));
    expect(left).toEqual([]);
  });
});

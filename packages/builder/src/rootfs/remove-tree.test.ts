import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { removeTree, removeTreeAside } from './remove-tree.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-remove-tree-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

it.each([
  ['removeTree', removeTree],
  ['removeTreeAside', removeTreeAside],
])('%s removes a whole tree without following symlinks out of it', async (_name, remove) => {
  const outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'keep'), 'not part of the tree');
  const tree = join(base, 'tree');
  await mkdir(join(tree, 'a/b/c'), { recursive: true });
  for (let i = 0; i < 50; i++) await writeFile(join(tree, 'a/b', `f${i}`), String(i));
  await symlink(outside, join(tree, 'a/link-to-outside'));
  await symlink(join(outside, 'keep'), join(tree, 'a/b/c/file-link'));
  await mkdir(join(tree, 'locked'));
  await writeFile(join(tree, 'locked/inner'), 'x');
  await chmod(join(tree, 'locked'), 0o500);
  await remove(tree);
  expect(await readdir(base)).toEqual(['outside']);
  expect(await readFile(join(outside, 'keep'), 'utf8')).toBe('not part of the tree');
});

it.each([
  ['removeTree', removeTree],
  ['removeTreeAside', removeTreeAside],
])('%s: a missing path is not an error', async (_name, remove) => {
  await remove(join(base, 'never-made'));
  expect(await readdir(base)).toEqual([]);
});

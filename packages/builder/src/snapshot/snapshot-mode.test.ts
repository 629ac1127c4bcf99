import { chmod, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTar } from '../rootfs/tar-reader.js';
import { type SnapshotMode, StatWalkSnapshotter } from './stat-walk-snapshotter.js';

/** Names in the layer the snapshotter writes for the change `change` makes to `root`. */
async function changedNames(root: string, mode: SnapshotMode, change: () => Promise<void>) {
  const s = new StatWalkSnapshotter({ mode, ignore: () => false });
  await s.prepare(root);
  await change();
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await s.snapshot(sink);
  await s.dispose();
  const names: string[] = [];
  for await (const e of readTar(Readable.from([Buffer.concat(chunks)]))) {
    names.push(e.header.name);
    for await (const _ of e.body()) {
      // drain
    }
  }
  return names.map((n) => n.replace(/\/$/, '')).sort();
}

let root: string;
const OLD = new Date('2020-01-01T00:00:00Z');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'snapshot-mode-'));
  for (const name of ['same-size', 'chmodded', 'touched', 'gone']) await writeFile(join(root, name), 'aaaa');
  for (const name of ['same-size', 'chmodded', 'touched', 'gone']) await utimes(join(root, name), OLD, OLD);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** One change of each kind kaniko's modes tell apart. */
const changes = async () => {
  await writeFile(join(root, 'same-size'), 'bbbb'); // content changed, size kept, mtime put back
  await utimes(join(root, 'same-size'), OLD, OLD);
  await chmod(join(root, 'chmodded'), 0o600); // metadata only
  await utimes(join(root, 'touched'), new Date(), new Date()); // mtime only
  await writeFile(join(root, 'new'), 'x');
  await rm(join(root, 'gone'));
};

describe('StatWalkSnapshotter --snapshot-mode', () => {
  it('full sees a same-size rewrite with its mtime put back (ctime), a chmod, a touch', async () => {
    expect(await changedNames(root, 'full', changes)).toEqual([
      '.wh.gone',
      'chmodded',
      'new',
      'same-size',
      'touched',
    ]);
  });

  it('redo compares mode, size, mtime, owner: misses only the rewrite with its mtime put back', async () => {
    expect(await changedNames(root, 'redo', changes)).toEqual(['.wh.gone', 'chmodded', 'new', 'touched']);
  });

  it('time compares mtime only: misses the rewrite and the chmod', async () => {
    expect(await changedNames(root, 'time', changes)).toEqual(['.wh.gone', 'new', 'touched']);
  });
});

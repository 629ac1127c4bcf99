import { execFileSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copiedLayerTar } from '../../test/copied-layer-tar.js';
import { type InputRelease, type LayerItem, writeLayer } from './layer-writer.js';

const bytes = (n: number, seed: number) =>
  createCipheriv('aes-128-ctr', Buffer.alloc(16, seed), Buffer.alloc(16)).update(Buffer.alloc(n));

let dir: string;
let items: LayerItem[];
let reference: Buffer;

/**
 * A slow sink with a deep queue, like a busy compressor behind stream buffers: up to 64 MiB of
 * chunks wait in its writable buffer (as views, no copy); it reads each one's bytes (into `out`)
 * only when it gets to it, 3 ms later each, and then says it is done with them.
 * `honest: false` says "done" at once instead, as a broken release signal would.
 */
class SlowSink extends Writable implements InputRelease {
  readonly out: Buffer[] = [];
  readonly backing = new Set<ArrayBufferLike>();
  #consumed = 0;
  #waits: Array<{ bytes: number; resolve: () => void }> = [];
  constructor(readonly opts: { fail?: Error; honest?: boolean } = {}) {
    super({ highWaterMark: 64 * 1024 * 1024 });
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    setTimeout(() => {
      this.out.push(Buffer.from(chunk));
      this.backing.add(chunk.buffer);
      this.#consumed += chunk.byteLength;
      for (const w of this.#waits) if (w.bytes <= this.#consumed) w.resolve();
      this.#waits = this.#waits.filter((w) => w.bytes > this.#consumed);
      cb();
    }, 3);
  }
  whenConsumed(n: number): Promise<void> {
    if (this.opts.fail) return Promise.reject(this.opts.fail);
    if (n <= this.#consumed || this.opts.honest === false) return Promise.resolve();
    return new Promise((resolve) => this.#waits.push({ bytes: n, resolve }));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layer-writer-'));
  const root = join(dir, 'root');
  await mkdir(join(root, 'd'), { recursive: true });
  await writeFile(join(root, 'big'), bytes(6 * 1024 * 1024 + 12_345, 1)); // read in 256 KiB pieces
  for (let i = 0; i < 24; i++) await writeFile(join(root, 'd', `f${i}`), bytes(100_000 + i, i + 2)); // read whole
  await writeFile(join(root, 'd', 'empty'), '');
  await symlink('big', join(root, 'link'));
  const rels = ['big', 'd', 'd/empty', 'link', ...Array.from({ length: 24 }, (_, i) => `d/f${i}`)];
  items = rels.map((rel) => ({ kind: 'entry', rel, abs: join(root, rel) }));
  items.push({ kind: 'whiteout', rel: 'gone' });
  // the same tar through a plain sink (every chunk copied as it arrives)
  reference = await copiedLayerTar(items);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeLayer read buffers', () => {
  it('writes a tar GNU tar reads back, file bodies intact', async () => {
    const out = join(dir, 'x');
    await mkdir(out);
    await writeFile(join(dir, 'ref.tar'), reference);
    execFileSync('tar', ['-xf', join(dir, 'ref.tar'), '-C', out]);
    expect(readFileSync(join(out, 'big')).equals(bytes(6 * 1024 * 1024 + 12_345, 1))).toBe(true);
    expect(readFileSync(join(out, 'd/f7')).equals(bytes(100_007, 9))).toBe(true);
    expect(execFileSync('tar', ['-tf', join(dir, 'ref.tar')], { encoding: 'utf8' })).toContain('.wh.gone');
  });

  it('with a releasing sink, reuses a few buffers and never one whose bytes the sink still holds', async () => {
    const sink = new SlowSink();
    const stats = await writeLayer(items, sink, { mtimeEpoch: 0 });
    expect(stats.bytes).toBe(6 * 1024 * 1024 + 12_345 + 24 * 100_000 + 276);
    // each chunk's bytes are read only when the sink gets to it: early reuse would corrupt them
    expect(Buffer.concat(sink.out).equals(reference)).toBe(true);
    expect(sink.backing.size).toBeLessThanOrEqual(16);
    expect(sink.out.length).toBeGreaterThan(32);
  });

  it('a broken release signal would corrupt the tar (so the check above can fail)', async () => {
    const sink = new SlowSink({ honest: false });
    await writeLayer(items, sink, { mtimeEpoch: 0 });
    expect(Buffer.concat(sink.out).byteLength).toBe(reference.byteLength);
    expect(Buffer.concat(sink.out).equals(reference)).toBe(false);
  });

  it('a sink that fails its release wait fails the write instead of hanging', async () => {
    const sink = new SlowSink({ fail: new Error('layer failed') });
    await expect(writeLayer(items, sink, { mtimeEpoch: 0 })).rejects.toThrow('layer failed');
  });
});

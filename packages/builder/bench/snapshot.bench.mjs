// Snapshot cost of a RUN that touches one file on a big base: OverlaySnapshotter vs
// StatWalkSnapshotter, measured in the same run on the same tree (issue 5 goal: overlay >= 20x faster).
//
//   node --import ./test/bench/lib/ts-hooks.mjs packages/builder/bench/snapshot.bench.mjs [FILES] [ROUNDS]
//
// Needs root (overlay mounts). The base lives under the OS temp dir; the overlay's state dir sits
// beside it (same file system, as the snapshotter requires). Prints a table; never a pass/fail test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { OverlaySnapshotter } from '../src/snapshot/overlay-snapshotter.ts';
import { StatWalkSnapshotter } from '../src/snapshot/stat-walk-snapshotter.ts';

const FILES = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const PER_DIR = 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => `${t.toFixed(1)} ms`;

function devNull() {
  let bytes = 0;
  const sink = new Writable({
    write(chunk, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  return { sink, bytes: () => bytes };
}

const base = mkdtempSync(join(tmpdir(), 'kts-snapbench-'));
const root = join(base, 'root');
try {
  let t = performance.now();
  for (let d = 0; d * PER_DIR < FILES; d++) {
    const dir = join(root, 'usr', 'share', `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR && d * PER_DIR + f < FILES; f++)
      writeFileSync(join(dir, `f${f}`), `file ${d}/${f}\n`);
  }
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'touched'), 'before\n');
  console.log(
    `base: ${FILES} files in ${Math.ceil(FILES / PER_DIR)} directories, made in ${ms(performance.now() - t)}`,
  );
  // let the racy-timestamp window of the stat walk pass, as it would after an extraction
  await new Promise((r) => setTimeout(r, 200));

  const rows = [];
  for (const [name, make] of [
    ['stat-walk', () => new StatWalkSnapshotter()],
    ['overlay', () => new OverlaySnapshotter({ stateDir: join(base, 'state') })],
  ]) {
    const prepares = [];
    const snaps = [];
    let entries = 0;
    let bytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const s = make();
      t = performance.now();
      const { runRoot } = await s.prepare(root);
      prepares.push(performance.now() - t);
      writeFileSync(join(runRoot, 'etc', 'touched'), `round ${name} ${i}\n`);
      const out = devNull();
      t = performance.now();
      const stats = await s.snapshot(out.sink);
      snaps.push(performance.now() - t);
      entries = stats.entries;
      bytes = out.bytes();
      await s.dispose();
    }
    rows.push({ name, prepare: median(prepares), snapshot: median(snaps), entries, bytes });
  }
  const [walk, overlay] = rows;
  console.log(`\nRUN touching one file, median of ${ROUNDS} rounds (2-core VM, ext4 temp dir)`);
  console.log('| snapshotter | prepare | snapshot | prepare+snapshot | layer entries | layer bytes |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${ms(r.prepare)} | ${ms(r.snapshot)} | ${ms(r.prepare + r.snapshot)} | ${r.entries} | ${r.bytes} |`,
    );
  }
  console.log(
    `\nsnapshot: overlay is ${(walk.snapshot / overlay.snapshot).toFixed(1)}x faster; ` +
      `per RUN (prepare+snapshot): ${((walk.prepare + walk.snapshot) / (overlay.prepare + overlay.snapshot)).toFixed(1)}x`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}

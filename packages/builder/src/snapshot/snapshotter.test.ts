import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { getAttribute } from '@napi-rs/xattr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer } from '../rootfs/extract-layer.js';
import { readTar, type TarHeader } from '../rootfs/tar-reader.js';
import { detectSnapshotter } from './detect-snapshotter.js';
import { OverlaySnapshotter } from './overlay-snapshotter.js';
import type { Snapshotter } from './snapshotter.js';
import { StatWalkSnapshotter } from './stat-walk-snapshotter.js';

const sh = (cwd: string, cmd: string): void => {
  execFileSync('sh', ['-ec', cmd], { cwd, stdio: 'pipe' });
};

/** Every path under `dir` with type, mode, owner, size, content hash / link target, xattrs. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(dir, rel) : dir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(dir, r);
      const st = lstatSync(abs);
      let what = '';
      if (st.isFile()) what = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12);
      else if (st.isSymbolicLink()) what = `-> ${readlinkSync(abs)}`;
      const nlink = st.isFile() && st.nlink > 1 ? ` links=${st.nlink}` : '';
      out[r] =
        `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? '' : st.size} ${what}${nlink}`;
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

async function collect(snapshotter: Snapshotter, mtimeEpoch?: number) {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const stats = await snapshotter.snapshot(sink, mtimeEpoch === undefined ? {} : { mtimeEpoch });
  const tar = Buffer.concat(chunks);
  const headers: TarHeader[] = [];
  for await (const e of readTar(Readable.from([tar]))) {
    headers.push(e.header);
    for await (const _ of e.body()) {
      // drain
    }
  }
  return { stats, tar, headers, names: headers.map((h) => h.name) };
}

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kts-snap-'));
  root = join(base, 'root');
  await mkdir(root);
  sh(
    root,
    [
      'mkdir -p etc usr/bin var/lib/gone/deep tmp replace-me proc dev home/user',
      'echo base > etc/config && echo keep > etc/keep && echo x > var/lib/gone/deep/f',
      'echo bin > usr/bin/tool && echo f > file-to-dir && echo c > replace-me/child',
      'ln -s tool usr/bin/alias && chmod 1777 tmp && chown 1000:1000 home/user',
      'echo hosts > etc/hosts',
    ].join(' && '),
  );
});
afterEach(async () => {
  sh(base, `for m in ${base}/state/*/merged; do umount $m 2>/dev/null || true; done`);
  await rm(base, { recursive: true, force: true });
});

/** The change a RUN would make, applied through `runRoot`. */
async function change(runRoot: string): Promise<void> {
  sh(
    runRoot,
    [
      'echo changed > etc/config',
      'echo new > etc/new-file',
      'rm -rf var/lib/gone',
      'rm usr/bin/alias && ln -s other usr/bin/alias',
      'chmod 4755 usr/bin/tool',
      'chown 7:8 etc/keep',
      'rm -rf replace-me && echo now-a-file > replace-me',
      'rm file-to-dir && mkdir file-to-dir && echo inside > file-to-dir/x',
      'mkdir -p opt/app/lib && echo a > opt/app/lib/a && ln opt/app/lib/a opt/app/lib/a-hard',
      'echo cap > opt/app/capbin && setcap cap_net_bind_service,cap_setuid+ep opt/app/capbin',
      'echo noise > proc/should-be-ignored && echo mounted > etc/hosts',
    ].join(' && '),
  );
}

const kinds: Array<[string, (base: string) => Snapshotter]> = [
  ['StatWalkSnapshotter', () => new StatWalkSnapshotter()],
  ['OverlaySnapshotter', (b) => new OverlaySnapshotter({ stateDir: join(b, 'state') })],
];

describe.each(kinds)('%s', (_name, make) => {
  it('writes exactly the change set, sorted, parents first, with whiteouts and xattrs', async () => {
    const copy = join(base, 'copy');
    sh(base, `cp -a root ${copy}`);
    const s = make(base);
    const { runRoot } = await s.prepare(root);
    await change(runRoot);
    const expected = listing(runRoot);
    const { headers, names, tar, stats } = await collect(s);
    await s.dispose();

    // sorted, and every parent directory precedes its children
    const bare = names.map((n) => n.replace(/\/$/, ''));
    expect(bare).toEqual([...bare].sort());
    const seen = new Set<string>();
    for (const n of names) {
      const clean = n.replace(/\/$/, '');
      const parent = clean.includes('/') ? clean.slice(0, clean.lastIndexOf('/')) : '';
      if (parent) expect(seen.has(parent), `${n} after its parent`).toBe(true);
      seen.add(clean);
    }
    // deleted tree: only the topmost whiteout; ignored paths absent
    expect(names).toContain('var/lib/.wh.gone');
    expect(names.some((n) => n.startsWith('var/lib/gone/'))).toBe(false);
    expect(names.some((n) => n.startsWith('proc') || n === 'etc/hosts')).toBe(false);
    // changed things present, unchanged ones absent
    for (const n of [
      'etc/config',
      'etc/new-file',
      'usr/bin/alias',
      'usr/bin/tool',
      'etc/keep',
      'replace-me',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('home/user/');
    const byName = new Map(headers.map((h) => [h.name, h]));
    expect(byName.get('usr/bin/alias')?.linkname).toBe('other');
    expect(byName.get('usr/bin/tool')?.mode).toBe(0o4755);
    expect(byName.get('etc/keep')).toMatchObject({ uid: 7, gid: 8 });
    expect(byName.get('opt/app/lib/a-hard')).toMatchObject({ type: 'hardlink', linkname: 'opt/app/lib/a' });
    const cap = byName.get('opt/app/capbin')?.xattrs.get('security.capability');
    expect(cap).toEqual(await getAttribute(join(root, 'opt/app/capbin'), 'security.capability'));
    expect(stats.whiteouts).toBeGreaterThan(0);
    expect(stats.entries).toBe(headers.length);

    // the root now holds the result (overlay: merged back) — and applying the layer onto the
    // untouched copy reproduces it, ignored paths aside
    const strip = (l: Record<string, string>) =>
      Object.fromEntries(Object.entries(l).filter(([k]) => !k.startsWith('proc/') && k !== 'etc/hosts'));
    const after = listing(root);
    expect(strip(after)).toEqual(strip(expected));
    await extractLayer(copy, Readable.from([tar]));
    expect(strip(listing(copy))).toEqual(strip(after));
  });

  it('takes successive snapshots of successive changes only', async () => {
    const s = make(base);
    let { runRoot } = await s.prepare(root);
    await writeFile(join(runRoot, 'etc/one'), '1');
    const first = await collect(s);
    expect(first.names).toEqual(['etc/', 'etc/one']);
    ({ runRoot } = await s.prepare(root));
    await writeFile(join(runRoot, 'etc/two'), '2');
    await rm(join(runRoot, 'etc/one'));
    const second = await collect(s);
    expect(second.names).toEqual(['etc/', 'etc/.wh.one', 'etc/two']);
    ({ runRoot } = await s.prepare(root));
    const third = await collect(s);
    expect(third.names).toEqual([]);
    await s.dispose();
  });

  it('normalises mtimes to the given epoch', async () => {
    const s = make(base);
    const { runRoot } = await s.prepare(root);
    await mkdir(join(runRoot, 'new/dir'), { recursive: true });
    await writeFile(join(runRoot, 'new/dir/f'), 'x');
    await rm(join(runRoot, 'etc/keep'));
    const { headers } = await collect(s, 1_000_000);
    await s.dispose();
    expect(headers.length).toBe(5);
    for (const h of headers) expect(h.mtime).toBe(1_000_000);
  });

  it('sees a same-size content change with the mtime set back', async () => {
    const s = make(base);
    const { runRoot } = await s.prepare(root);
    await writeFile(join(runRoot, 'etc/config'), 'BASE\n');
    sh(runRoot, `touch -d "@$(stat -c %Y ${join(root, 'etc/keep')})" etc/config`);
    const { names } = await collect(s);
    await s.dispose();
    expect(names).toContain('etc/config');
    expect(readFileSync(join(root, 'etc/config'), 'utf8')).toBe('BASE\n');
  });
});

describe('OverlaySnapshotter specifics', () => {
  it('turns an opaque upper directory into .wh..wh..opq and merges it back', async () => {
    const s = new OverlaySnapshotter({ stateDir: join(base, 'state') });
    const { runRoot } = await s.prepare(root);
    sh(runRoot, 'rm -rf etc && mkdir etc && echo fresh > etc/only');
    const { names } = await collect(s);
    await s.dispose();
    expect(names).toEqual(['etc/', 'etc/.wh..wh..opq', 'etc/only']);
    expect(readdirSync(join(root, 'etc'))).toEqual(['only']);
    await chmod(join(root, 'etc'), 0o755);
  });

  it('detectSnapshotter picks overlay here (root, overlayfs available) and says why', async () => {
    const detected = await detectSnapshotter({ stateDir: join(base, 'detect') });
    expect(detected.snapshotter.kind).toBe('overlay');
    expect(detected.reason).toMatch(/overlay/);
    const fallback = await detectSnapshotter({ stateDir: join(base, 'detect'), uid: 1000 });
    expect(fallback.snapshotter.kind).toBe('stat-walk');
    expect(fallback.reason).toMatch(/uid 1000/);
  });

  it('writes device nodes with their numbers, large minors included', async () => {
    const s = new OverlaySnapshotter({ stateDir: join(base, 'state') });
    const { runRoot } = await s.prepare(root);
    sh(runRoot, 'mknod big c 300 70000 && mknod blk b 8 1 && mkfifo pipe');
    const { headers } = await collect(s);
    await s.dispose();
    expect(headers.map((h) => [h.name, h.type, h.devmajor, h.devminor])).toEqual([
      ['big', 'char-device', 300, 70000],
      ['blk', 'block-device', 8, 1],
      ['pipe', 'fifo', 0, 0],
    ]);
  });

  it('writes hardlinks inside the change set once and links the rest', async () => {
    const s = new OverlaySnapshotter({ stateDir: join(base, 'state') });
    const { runRoot } = await s.prepare(root);
    await writeFile(join(runRoot, 'h1'), 'same');
    await link(join(runRoot, 'h1'), join(runRoot, 'h2'));
    await symlink('h1', join(runRoot, 'h3'));
    const { headers } = await collect(s);
    await s.dispose();
    expect(headers.map((h) => [h.name, h.type, h.linkname])).toEqual([
      ['h1', 'file', ''],
      ['h2', 'hardlink', 'h1'],
      ['h3', 'symlink', 'h1'],
    ]);
    expect(lstatSync(join(root, 'h2')).ino).toBe(lstatSync(join(root, 'h1')).ino);
  });
});

describe('layer tars are readable by GNU tar', () => {
  it('keeps binary security.capability, hardlinks, long and non-ASCII names', async () => {
    const s = new StatWalkSnapshotter();
    const { runRoot } = await s.prepare(root);
    const long = `${'x'.repeat(120)}/é-ü`;
    sh(
      runRoot,
      `echo cap > bin1 && setcap cap_setuid,cap_net_raw+ep bin1 && ln bin1 bin2 && mkdir -p '${long}'`,
    );
    sh(runRoot, `echo deep > '${long}/file' && rm etc/keep`);
    const { tar } = await collect(s);
    await s.dispose();
    const out = join(base, 'gnu');
    await mkdir(out);
    await writeFile(join(base, 'l.tar'), tar);
    sh(out, `tar --xattrs --xattrs-include='*' -xf ${join(base, 'l.tar')}`);
    const caps = execFileSync('getcap', [join(out, 'bin1')], { encoding: 'utf8' });
    expect(caps).toMatch(/cap_setuid,cap_net_raw=ep|cap_net_raw,cap_setuid=ep/);
    expect(await getAttribute(join(out, 'bin1'), 'security.capability')).toEqual(
      await getAttribute(join(root, 'bin1'), 'security.capability'),
    );
    expect(lstatSync(join(out, 'bin2')).ino).toBe(lstatSync(join(out, 'bin1')).ino);
    expect(readFileSync(join(out, long, 'file'), 'utf8')).toBe('deep\n');
    expect(lstatSync(join(out, 'etc/.wh.keep')).isFile()).toBe(true);
  });
});

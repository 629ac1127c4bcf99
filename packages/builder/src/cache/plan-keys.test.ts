import { chmod, cp, link, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuildPlan } from '@kaniko-ts/dockerfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDirectoryContext } from '../context/tar-context.js';
import { computeKey } from './cache-key.js';
import { planCacheKeys } from './plan-keys.js';
import { digestSources } from './source-digest.js';

const BASE = `sha256:${'1'.repeat(64)}`;
let dir: string;
let ctx: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kts-cache-keys-'));
  ctx = join(dir, 'ctx');
  await mkdir(join(ctx, 'two/sub'), { recursive: true });
  await writeFile(join(ctx, 'one.txt'), 'one');
  await writeFile(join(ctx, 'two/a.txt'), 'a');
  await writeFile(join(ctx, 'two/sub/b.txt'), 'b');
  await writeFile(join(ctx, 'two/ignored.log'), 'log');
  await writeFile(join(ctx, 'unused.txt'), 'unused');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Opts {
  buildArgs?: Record<string, string>;
  root?: string;
  base?: string;
  platform?: string;
  compression?: string;
  visible?: (rel: string) => boolean;
  excludeMatcher?: (patterns: readonly string[]) => (rel: string) => boolean;
}

async function keyPlan(dockerfile: string, opts: Opts = {}) {
  const plan = createBuildPlan(dockerfile, { buildArgs: opts.buildArgs ?? {}, lint: false });
  return planCacheKeys({
    plan,
    platform: opts.platform ?? 'linux/amd64',
    layerFormat: { compression: opts.compression ?? 'gzip' },
    baseDigest: () => opts.base ?? BASE,
    imageDigest: (ref) => `sha256:${computeKey([{ name: 'image', value: ref }]).key}`,
    context: { root: opts.root ?? ctx, visible: opts.visible ?? (() => true) },
    ...(opts.excludeMatcher ? { excludeMatcher: opts.excludeMatcher } : {}),
  });
}

/** Keys per stage, in stage order. */
async function keys(dockerfile: string, opts: Opts = {}): Promise<Array<Array<string | undefined>>> {
  const p = await keyPlan(dockerfile, opts);
  return [...p.stages.values()]
    .sort((a, b) => a.index - b.index)
    .map((s) => s.instructions.map((k) => k?.key));
}

/** Indexes where two key lists differ. */
function changed(a: Array<string | undefined>, b: Array<string | undefined>): number[] {
  expect(a.length).toBe(b.length);
  return a.flatMap((k, i) => (k === b[i] ? [] : [i]));
}

const SIMPLE = [
  'FROM base',
  'ENV A=1',
  'COPY one.txt /one',
  'RUN echo hi',
  'COPY two/ /two/',
  'WORKDIR /app',
  'CMD ["x"]',
].join('\n');

describe('planCacheKeys', () => {
  it('gives the same keys for the same inputs, whatever the file times or the context location', async () => {
    const first = await keys(SIMPLE);
    expect(first[0]).toHaveLength(6);
    for (const k of first[0] ?? []) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(first[0]).size).toBe(6);
    const copy = join(dir, 'copy');
    await cp(ctx, copy, { recursive: true });
    const past = new Date('2001-02-03T04:05:06Z');
    for (const f of ['one.txt', 'two/a.txt', 'two/sub/b.txt', 'two/sub', 'two'])
      await utimes(join(copy, f), past, past);
    expect(await keys(SIMPLE, { root: copy })).toEqual(first);
    // moving instructions to other lines (comments, blank lines) keeps the keys
    expect(await keys(`# syntax comment\n\n${SIMPLE.replace('\n', '\n\n# note\n')}`)).toEqual(first);
  });

  it('changes exactly the keys of the COPY that reads a changed file and those after it', async () => {
    const before = (await keys(SIMPLE))[0]!;
    await writeFile(join(ctx, 'two/sub/b.txt'), 'B');
    const afterContent = (await keys(SIMPLE))[0]!;
    expect(changed(before, afterContent)).toEqual([3, 4, 5]);

    await writeFile(join(ctx, 'two/sub/b.txt'), 'b');
    expect((await keys(SIMPLE))[0]).toEqual(before);
    await chmod(join(ctx, 'one.txt'), 0o600);
    expect(changed(before, (await keys(SIMPLE))[0]!)).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores files no instruction reads and files .dockerignore hides', async () => {
    const visible = (rel: string) => !rel.endsWith('.log');
    const before = (await keys(SIMPLE, { visible }))[0]!;
    await writeFile(join(ctx, 'unused.txt'), 'changed');
    await writeFile(join(ctx, 'two/ignored.log'), 'changed');
    expect((await keys(SIMPLE, { visible }))[0]).toEqual(before);
    // without the filter the same change is seen by COPY two/
    const unfiltered = (await keys(SIMPLE))[0]!;
    await writeFile(join(ctx, 'two/ignored.log'), 'changed again');
    expect(changed(unfiltered, (await keys(SIMPLE))[0]!)).toEqual([3, 4, 5]);
  });

  it('applies COPY --exclude when given the matcher, and hashes excluded files without it', async () => {
    const df = 'FROM base\nCOPY --exclude=*.log two/ /two/\n';
    const excludeMatcher = (patterns: readonly string[]) => (rel: string) =>
      patterns.some((p) => p === '*.log' && rel.endsWith('.log'));
    const withMatcher = (await keys(df, { excludeMatcher }))[0]!;
    const without = (await keys(df))[0]!;
    await writeFile(join(ctx, 'two/ignored.log'), 'changed');
    expect((await keys(df, { excludeMatcher }))[0]).toEqual(withMatcher);
    expect(changed(without, (await keys(df))[0]!)).toEqual([0]);
  });

  it('changes only the keys from the ARG that declares a changed build arg onwards', async () => {
    const df = 'FROM base\nCOPY one.txt /one\nRUN true\nARG V=dflt\nRUN echo $V\nLABEL x=y\n';
    const a = (await keys(df, { buildArgs: { V: '1' } }))[0]!;
    const b = (await keys(df, { buildArgs: { V: '2' } }))[0]!;
    expect(changed(a, b)).toEqual([2, 3, 4]);
    expect((await keys(df))[0]![2]).not.toBe(a[2]); // the default value is a value too
    // an arg no stage declares is seen by nothing; neither are proxy args (as in BuildKit)
    const c = (await keys(df, { buildArgs: { V: '1', OTHER: 'x', HTTP_PROXY: 'http://p1' } }))[0]!;
    const d = (await keys(df, { buildArgs: { V: '1', OTHER: 'y', HTTP_PROXY: 'http://p2' } }))[0]!;
    expect(c).toEqual(a);
    expect(d).toEqual(a);
  });

  it('changes every key with the base digest, the platform or the layer format', async () => {
    const before = (await keys(SIMPLE))[0]!;
    for (const opts of [
      { base: `sha256:${'2'.repeat(64)}` },
      { platform: 'linux/arm64' },
      { compression: 'zstd' },
    ]) {
      expect(changed(before, (await keys(SIMPLE, opts))[0]!)).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('chains multi-stage builds: COPY --from, RUN --mount from and FROM <stage> see the source stage', async () => {
    const df = [
      'FROM base AS a',
      'COPY one.txt /one',
      'FROM scratch AS b',
      'COPY two/ /two/',
      'COPY --from=a /one /x',
      'RUN --mount=type=bind,from=a,target=/m true',
      'FROM a AS c',
      'RUN echo c',
      'FROM b',
      'COPY --from=c /one /y',
    ].join('\n');
    const before = await keys(df);
    await writeFile(join(ctx, 'one.txt'), 'ONE');
    const after = await keys(df);
    expect(changed(before[0]!, after[0]!)).toEqual([0]);
    expect(changed(before[1]!, after[1]!)).toEqual([1, 2]);
    expect(changed(before[2]!, after[2]!)).toEqual([0]);
    expect(changed(before[3]!, after[3]!)).toEqual([0]);
    // a change only stage b reads leaves stage a and c alone
    await writeFile(join(ctx, 'two/a.txt'), 'A');
    const third = await keys(df);
    expect(third[0]).toEqual(after[0]);
    expect(third[2]).toEqual(after[2]);
    expect(changed(after[1]!, third[1]!)).toEqual([0, 1, 2]);
  });

  it('keys COPY --from=<image> by the image digest', async () => {
    const df = 'FROM base\nCOPY --from=registry.local/tools:1 /bin/x /x\n';
    const one = (await keys(df))[0]!;
    const two = (await keys(df.replace('tools:1', 'tools:2')))[0]!;
    expect(changed(one, two)).toEqual([0]);
    const plan = await keyPlan(df);
    expect(plan.describe(0, 0)).toMatch(/input from: image sha256:[0-9a-f]{64}/);
  });

  it('keys RUN mounts: bind sources by content, cache mounts by id, secrets by id only', async () => {
    const bind = 'FROM base\nRUN --mount=type=bind,source=two,target=/src make\n';
    const b1 = (await keys(bind))[0]!;
    await writeFile(join(ctx, 'one.txt'), 'not mounted');
    expect((await keys(bind))[0]).toEqual(b1);
    await writeFile(join(ctx, 'two/sub/b.txt'), 'mounted');
    expect(changed(b1, (await keys(bind))[0]!)).toEqual([0]);

    const cache = 'FROM base\nRUN --mount=type=cache,id=c1,target=/root/.cache make\n';
    const c1 = (await keys(cache))[0]!;
    expect(changed(c1, (await keys(cache.replace('id=c1', 'id=c2')))[0]!)).toEqual([0]);

    const secret = 'FROM base\nRUN --mount=type=secret,id=token,target=/run/secrets/t make\n';
    const plan = await keyPlan(secret);
    const text = plan.describe(0, 0);
    expect(text).toContain('"id":"token"');
    const other = (await keys(secret.replace('id=token', 'id=other')))[0]!;
    expect(changed([plan.key(0, 0)], other)).toEqual([0]);
  });

  it('cannot key ADD <url> without --checksum: it and everything after it always run', async () => {
    const df = 'FROM base\nCOPY one.txt /one\nADD https://example.com/x.tgz /x\nRUN true\n';
    const k = (await keys(df))[0]!;
    expect(k[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(k.slice(1)).toEqual([undefined, undefined]);
    const pinned = (await keys(df.replace('ADD ', `ADD --checksum=sha256:${'3'.repeat(64)} `)))[0]!;
    expect(pinned.every((x) => x !== undefined)).toBe(true);
    const plan = await keyPlan(df);
    expect(plan.keys()).toEqual([k[0]]);
    expect(plan.describe(0, 2)).toMatch(/no cache key/);
  });

  it('describes what went into a key', async () => {
    const plan = await keyPlan('FROM base\nARG V=1\nCOPY --chown=1:2 two/ /two/\n');
    const text = plan.describe(0, 1);
    expect(text).toContain(`cache key ${plan.key(0, 1)}`);
    expect(text).toContain(`parent: ${plan.key(0, 0)}`);
    expect(text).toContain('platform: linux/amd64');
    expect(text).toContain('"chown":"1:2"');
    expect(text).toMatch(/scope: V=1/);
    expect(text).toMatch(/input context: sha256:[0-9a-f]{64}/);
  });
});

describe("planCacheKeys with the build's own DirectoryContext", () => {
  // regression: its `visible` is a method; passed unbound it threw inside the digest, which was
  // hashed as "missing", so a changed context file kept its key and hit the cache with old content
  it('a changed context file changes the COPY key and every key after it', async () => {
    const context = openDirectoryContext(ctx, { exclude: (rel) => rel.endsWith('.log') });
    const df = 'FROM busybox\nCOPY one.txt /one.txt\nRUN true\n';
    const plan = () =>
      planCacheKeys({
        plan: createBuildPlan(df, { buildArgs: {}, lint: false }),
        platform: 'linux/amd64',
        layerFormat: { compression: 'gzip' },
        baseDigest: () => BASE,
        imageDigest: () => BASE,
        context,
      });
    const before = (await plan()).keys();
    await writeFile(join(ctx, 'one.txt'), 'ONE, changed');
    const after = (await plan()).keys();
    expect(before).toHaveLength(2);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
  });
});

describe('digestSources', () => {
  it('surfaces errors other than "not found" instead of hashing them as a missing source', async () => {
    const visible = (): boolean => {
      throw new TypeError('boom');
    };
    await expect(digestSources({ root: ctx, patterns: ['one.txt'], visible })).rejects.toThrow('boom');
  });

  const digest = async (patterns: string[]) => (await digestSources({ root: ctx, patterns })).digest;

  it('covers names, symlink targets, hard links and modes but not times or owners', async () => {
    await symlink('a.txt', join(ctx, 'two/link'));
    const d0 = await digest(['two']);
    await rm(join(ctx, 'two/link'));
    await symlink('sub/b.txt', join(ctx, 'two/link'));
    const d1 = await digest(['two']);
    expect(d1).not.toBe(d0);
    await writeFile(join(ctx, 'two/c.txt'), 'b');
    const separate = await digest(['two']);
    await rm(join(ctx, 'two/c.txt'));
    await link(join(ctx, 'two/sub/b.txt'), join(ctx, 'two/c.txt'));
    expect(await digest(['two'])).not.toBe(separate);
    const d2 = await digest(['two']);
    await chmod(join(ctx, 'two/sub'), 0o700);
    expect(await digest(['two'])).not.toBe(d2);
    await chmod(join(ctx, 'two/sub'), 0o755);
    await utimes(join(ctx, 'two/a.txt'), new Date(0), new Date(0));
    expect(await digest(['two'])).toBe(d2);
  });

  it('hashes small files (read in one call) and big ones (on the thread pool) alike, across many entries', async () => {
    // 600 small files pass the walk's and the reader's yields to the event loop; 100 KiB is read async
    await mkdir(join(ctx, 'many'));
    for (let i = 0; i < 600; i++)
      await writeFile(join(ctx, 'many', `f${String(i).padStart(3, '0')}`), `${i}`);
    await writeFile(join(ctx, 'many', 'big.bin'), Buffer.alloc(100 * 1024, 7));
    const r = await digestSources({ root: ctx, patterns: ['many'] });
    expect(r.files).toBe(601);
    expect(r.bytes).toBe(
      100 * 1024 + Array.from({ length: 600 }, (_, i) => `${i}`.length).reduce((a, b) => a + b),
    );
    const elsewhere = join(dir, 'copy');
    await cp(ctx, elsewhere, { recursive: true });
    expect((await digestSources({ root: elsewhere, patterns: ['many'] })).digest).toBe(r.digest);
    const big = Buffer.alloc(100 * 1024, 7);
    big[50_000] = 8;
    await writeFile(join(ctx, 'many', 'big.bin'), big);
    const bigChanged = await digest(['many']);
    expect(bigChanged).not.toBe(r.digest);
    await writeFile(join(ctx, 'many', 'f599'), '598');
    expect(await digest(['many'])).not.toBe(bigChanged);
  });

  it('follows wildcard matches and tells a missing source from an empty one', async () => {
    const r = await digestSources({ root: ctx, patterns: ['two/*.txt'] });
    expect(r.files).toBe(1);
    expect(r.bytes).toBe(1);
    await writeFile(join(ctx, 'two/new.txt'), 'new');
    expect(await digest(['two/*.txt'])).not.toBe(r.digest);
    expect(await digest(['nope'])).not.toBe(await digest(['nope*']));
  });
});

describe('computeKey', () => {
  it('frames parts so shifting text between them changes the key', () => {
    const a = computeKey([
      { name: 'x', value: 'ab' },
      { name: 'y', value: 'c' },
    ]).key;
    const b = computeKey([
      { name: 'x', value: 'a' },
      { name: 'y', value: 'bc' },
    ]).key;
    const c = computeKey([
      { name: 'x', value: 'ab' },
      { name: 'y', value: 'c' },
    ]).key;
    expect(a).not.toBe(b);
    expect(a).toBe(c);
  });
});

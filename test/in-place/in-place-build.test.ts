import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build } from '@kaniko-ts/builder';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusCase, loadCorpus, prepareContext } from '../build/corpus-case.js';
import {
  expectCaseConfig,
  expectSameAsBuildah,
  reuseOrBuildahBuild,
  runCaseChecks,
} from '../build/corpus-compare.js';
import { flattenRemoteImage } from '../build/image-tree.js';
import { harness, skopeo } from '../harness/index.js';
import { cliInSandbox, type ExecutorTemplate, inSandbox, makeRoot, prepareExecutor } from './sandbox.js';

/**
 * The in-place (kaniko-mode) executor, end to end: the bundled CLI runs as root in a throwaway root
 * made with bwrap that holds node, the bundle and nothing else, with every capability but Docker's
 * default set dropped (so namespaces and mounts fail, as in an unprivileged job container), and
 * builds corpus Dockerfiles there; each result is judged like the corpus runner judges it.
 */
const registry = () => harness().registries.plain;

/**
 * The corpus cases built in place: one or more per instruction family (the whole corpus takes too
 * long for the suite; see the builder README for the full-corpus run). RUN as users and groups,
 * COPY/ADD variants, multi-stage with COPY --from (stage, index, image), FROM scratch, deletes and
 * whiteouts, WORKDIR/USER, heredocs, hardlinks, background processes, ONBUILD, special bits.
 */
const IN_PLACE_CASES = [
  'add-local-tar',
  'chown-chmod',
  'copy-from-image-and-index',
  'copy-matrix',
  'delete-dir',
  'delete-then-recreate',
  'hardlinks',
  'heredocs',
  'multistage-target',
  'mv-added-dir',
  'onbuild',
  'replace-dir-with-link',
  'replace-file-with-dir',
  'run-background-daemon',
  'run-large-file',
  'scratch-image',
  'setuid-copy-from',
  'shell-instruction',
  'tmp-sticky',
  'user-home-workdir',
  'user-nonexisting',
];

const corpus = await loadCorpus();
const cases = IN_PLACE_CASES.map((name) => {
  const c = corpus.find((x) => x.name === name);
  if (!c) throw new Error(`corpus case ${name} is missing`);
  return c;
});

let scratch: string;
let template: ExecutorTemplate;
let client: RegistryClient;
const timings: Record<string, number> = {};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'in-place-'));
  template = prepareExecutor(scratch);
  client = new RegistryClient({ insecureRegistries: [registry().host] });
});
afterAll(async () => {
  await client?.close();
  await rm(scratch, { recursive: true, force: true });
  const total = Object.values(timings).reduce((a, b) => a + b, 0);
  if (total > 0)
    console.log(
      `in-place builds: ${Object.keys(timings).length} in ${(total / 1000).toFixed(1)} s (${Object.entries(
        timings,
      )
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
        .join(', ')})`,
    );
});

/** A fresh root with the case's context as /workspace; the CLI builds and pushes `destination`. */
async function buildInPlace(
  name: string,
  context: string,
  destination: string,
  extra: string[] = [],
  opts: { container?: boolean; volume?: string; roBinds?: Record<string, string> } = {},
) {
  const root = join(scratch, `root-${name}-${Math.random().toString(36).slice(2)}`);
  makeRoot(template, root, { container: opts.container });
  const volume = opts.volume ?? (await mkdtemp(join(scratch, 'volume-')));
  const started = performance.now();
  const r = await cliInSandbox(
    [
      'build',
      '-v',
      'debug',
      '--context',
      '/workspace',
      '--destination',
      destination,
      '--insecure-registry',
      registry().host,
      '--build-arg',
      `REGISTRY=${registry().host}`,
      ...extra,
    ],
    {
      root,
      binds: { [context]: '/workspace', [volume]: '/mnt/volume' },
      ...(opts.roBinds ? { roBinds: opts.roBinds } : {}),
      cwd: '/workspace',
    },
  );
  timings[name] = performance.now() - started;
  return { ...r, root, log: `${r.stdout}\n${r.stderr}` };
}

describe('the sandbox is an unprivileged container', () => {
  it('has exactly Docker default capabilities, and namespaces and mounts fail in it', async () => {
    const root = join(scratch, 'probe');
    await mkdir(root);
    const r = await inSandbox(
      [
        '/bin/sh',
        '-c',
        'grep CapEff /proc/self/status; unshare --mount --pid --fork true && echo NS-OK; mount -t tmpfs none /tmp && echo MOUNT-OK; exit 0',
      ],
      { root, roBinds: { '/usr': '/usr', '/bin': '/bin', '/lib': '/lib', '/lib64': '/lib64' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/CapEff:\s+00000000a80425fb/);
    expect(r.stdout).not.toMatch(/NS-OK|MOUNT-OK/);
    expect(r.stderr).toMatch(/unshare.*(Operation not permitted|permission denied)/i);
  });
});

describe('in-place build', () => {
  it('refuses to build outside a container without --force, and leaves the root alone', async () => {
    const context = await mkdtemp(join(scratch, 'ctx-'));
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /\n');
    const r = await buildInPlace('refuse', context, `${registry().host}/inplace/refused:latest`, [], {
      container: false,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.log).toMatch(/EXECUTOR_UNAVAILABLE|choosing a RUN executor/);
    expect(r.log).toMatch(/nothing says this is a container/);
    expect(r.log).toMatch(/--force/);
    // nothing was cleaned: node's libraries are still where they were
    for (const { to } of template.libs) expect(existsSync(join(r.root, to)), to).toBe(true);
    const pushed = await skopeo([
      'inspect',
      '--tls-verify=false',
      `docker://${registry().host}/inplace/refused:latest`,
    ]);
    expect(pushed.exitCode).not.toBe(0);
  });

  it('builds with --force outside a container', async () => {
    const context = await mkdtemp(join(scratch, 'ctx-'));
    await writeFile(
      join(context, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN echo forced > /forced\nCMD ["cat", "/forced"]\n',
    );
    const ref = `${registry().host}/inplace/forced:latest`;
    const r = await buildInPlace('forced', context, ref, ['--force'], { container: false });
    expect(r.exitCode, r.log).toBe(0);
    expect(r.log).toMatch(/outside a container, forced \(--force\)/);
    const flat = await flattenRemoteImage(ref, registry());
    expect(flat.tree.get('/forced')?.size).toBe('forced\n'.length);
  });

  it('cleans between stages without touching ignored paths; mounts are emulated; the secret is in no blob', async () => {
    const context = await mkdtemp(join(scratch, 'ctx-'));
    const secretDir = await mkdtemp(join(scratch, 'secret-'));
    const secret = `kts-secret-${Math.random().toString(36).slice(2)}-value`;
    await writeFile(join(secretDir, 'token'), secret);
    await mkdir(join(context, 'ctx'));
    await writeFile(join(context, 'ctx', 'hello.txt'), 'hello from the context\n');
    await writeFile(join(context, 'untouched.txt'), 'workspace file\n');
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'ARG REGISTRY',
        'FROM $REGISTRY/base/debian:bookworm AS first',
        'RUN echo first > /from-first && mkdir -p /var/cache/thing',
        'FROM first AS base',
        'RUN echo base > /from-base',
        'FROM $REGISTRY/base/busybox:latest AS other',
        'RUN echo other > /from-other',
        'FROM base',
        'COPY --from=other /from-other /copied-from-other',
        'RUN --mount=type=secret,id=token,target=/run/secrets/token wc -c < /run/secrets/token > /secret-len && stat -c %a /run/secrets/token > /secret-mode',
        'RUN --mount=type=secret,id=token,target=/etc/token-here test -f /etc/token-here && echo present > /secret-was-there',
        'RUN --mount=type=cache,target=/var/cache/thing echo run1 >> /var/cache/thing/log && wc -l < /var/cache/thing/log > /cache-count1',
        'RUN --mount=type=cache,target=/var/cache/thing echo run2 >> /var/cache/thing/log && wc -l < /var/cache/thing/log > /cache-count2',
        'RUN --mount=type=bind,source=ctx,target=/mnt/ctx cat /mnt/ctx/hello.txt > /bound',
        'RUN --mount=type=bind,from=other,source=/from-other,target=/mnt/fo cat /mnt/fo > /bound-stage',
        'RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/x && stat -c %a /scratch > /tmpfs-mode',
        'RUN --network=none echo no-network > /network',
        'RUN mkdir -p /opt/skip && echo x > /opt/skip/f && echo kept > /opt/kept',
        'RUN useradd -m -u 1600 -G users tester',
        'USER tester',
        'WORKDIR /home/tester/work',
        'RUN id > id.txt',
      ].join('\n'),
    );
    const volume = await mkdtemp(join(scratch, 'volume-'));
    await writeFile(join(volume, 'data'), 'volume data\n');
    const ref = `${registry().host}/inplace/stages:latest`;
    const r = await buildInPlace(
      'stages-and-mounts',
      context,
      ref,
      ['--secret', 'id=token,src=/kaniko-secrets/token', '--ignore-path', '/opt/skip'],
      { volume, roBinds: { [secretDir]: '/kaniko-secrets' } },
    );
    expect(r.exitCode, r.log.slice(-4000)).toBe(0);
    expect(r.log).toMatch(/in-place executor \(kaniko mode\): the chroot executor is unavailable/);
    expect(r.log).toMatch(/in a container \(\/\.dockerenv exists\)/);
    expect(r.log).toMatch(/in-place root: stage \d+ extracted over \//);
    // FROM first right after first continues in place; the busybox stage and the final one clean up
    expect(r.log).toMatch(/in-place root: stage 1 continues in \/ from stage 0/);
    expect(r.log).toMatch(/in-place root: stage 3 extracted over \/ \([1-9]\d* paths removed/);
    for (const type of ['secret', 'cache', 'bind', 'tmpfs'])
      expect(r.log).toContain(`RUN --mount=type=${type}`);
    expect(r.log).toMatch(/--network=none cannot be honoured/);
    expect(r.log).not.toContain(secret);

    // ignored paths survived every cleanup untouched
    expect(readFileSync(join(volume, 'data'), 'utf8')).toBe('volume data\n');
    expect(await readdir(volume)).toEqual(['data']);
    expect(readFileSync(join(context, 'untouched.txt'), 'utf8')).toBe('workspace file\n');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(sha(join(r.root, 'kaniko-ts/bin/node'))).toBe(sha(join(template.dir, 'bin/node')));
    expect(sha(join(r.root, 'kaniko-ts/kaniko-ts.mjs'))).toBe(sha(join(template.dir, 'kaniko-ts.mjs')));
    // the root holds the last stage: the busybox stage and the marker were cleaned away
    expect(existsSync(join(r.root, '.dockerenv'))).toBe(false);
    expect(existsSync(join(r.root, 'from-other'))).toBe(false);
    expect(readFileSync(join(r.root, 'from-base'), 'utf8')).toBe('base\n');

    const flat = await flattenRemoteImage(ref, registry());
    const file = (p: string) => flat.tree.get(p);
    expect(file('/from-first')?.type).toBe('file');
    expect(file('/from-base')?.type).toBe('file');
    expect(file('/from-other')).toBeUndefined();
    expect(file('/copied-from-other')?.size).toBe('other\n'.length);
    expect(file('/etc/token-here')).toBeUndefined();
    expect(file('/run/secrets/token')).toBeUndefined();
    expect(file('/scratch')).toBeUndefined();
    expect(file('/mnt/ctx')).toBeUndefined();
    // the cache directory existed in the base: it stays, empty, and the cache content is not in a layer
    expect(file('/var/cache/thing')?.type).toBe('directory');
    expect([...flat.tree.keys()].filter((k) => k.startsWith('/var/cache/thing/'))).toEqual([]);
    // --ignore-path: what the RUN wrote there is in no layer
    expect(file('/opt/kept')?.type).toBe('file');
    expect(file('/opt/skip/f')).toBeUndefined();
    expect(file('/kaniko-ts')).toBeUndefined();
    expect(file('/workspace')).toBeUndefined();
    expect(file('/mnt/volume')).toBeUndefined();

    const outputs = await skopeoCat(ref, [
      '/secret-len',
      '/secret-mode',
      '/secret-was-there',
      '/cache-count1',
      '/cache-count2',
      '/bound',
      '/bound-stage',
      '/tmpfs-mode',
      '/home/tester/work/id.txt',
    ]);
    expect(outputs).toEqual([
      `${secret.length}\n`,
      '400\n',
      'present\n',
      '1\n',
      '2\n',
      'hello from the context\n',
      'other\n',
      '1777\n',
      'uid=1600(tester) gid=1600(tester) groups=1600(tester),100(users)\n',
    ]);
    const blobs = await allBlobs(ref);
    expect(blobs.length).toBeGreaterThan(3);
    for (const b of blobs) expect(b.text.includes(secret), `secret in blob ${b.digest}`).toBe(false);
  }, 600_000);
});

describe('--ignore-path with the chroot executor', () => {
  it('leaves the ignored paths out of RUN layers', async () => {
    const context = await mkdtemp(join(scratch, 'ctx-'));
    await writeFile(
      join(context, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN mkdir -p /data/skip && echo x > /data/skip/f && echo y > /data/kept\n',
    );
    const ref = `${registry().host}/inplace/chroot-ignore:latest`;
    const events: string[] = [];
    await build({
      context,
      destinations: [ref],
      push: true,
      buildArgs: { REGISTRY: registry().host },
      registry: client,
      executor: 'chroot',
      ignorePaths: ['/data/skip'],
      events: { info: (m) => events.push(m) },
    });
    expect(events.join('\n')).toMatch(/executor: chroot executor/);
    const flat = await flattenRemoteImage(ref, registry());
    expect(flat.tree.get('/data/kept')?.type).toBe('file');
    expect(flat.tree.has('/data/skip/f')).toBe(false);
  });
});

describe('corpus in place', () => {
  const work = () => join(scratch, 'corpus');
  for (const c of cases) {
    it(`${c.name}: ${c.description}`, async () => {
      const host = registry().host;
      await mkdir(work(), { recursive: true });
      for (const pre of c.pre ?? []) await preBuild(c, pre.dockerfile, `${host}/${pre.tag}`);
      // the corpus runner's Buildah image of the case when this run already made it
      const buildahRef = `${host}/corpus-buildah/${c.name}:latest`;
      const theirs = c.buildah
        ? await reuseOrBuildahBuild(c, buildahRef, {
            registryHost: host,
            workDir: work(),
            registry: registry(),
          }).then(() => flattenRemoteImage(buildahRef, registry()))
        : undefined;
      const context = join(work(), `${c.name}-ctx`);
      await prepareContext(c, context);
      const ours = `${host}/inplace/${c.name}:latest`;
      const extra = c.target ? ['--target', c.target] : [];
      for (const [k, v] of Object.entries(c.buildArgs ?? {})) extra.push('--build-arg', `${k}=${v}`);
      const r = await buildInPlace(c.name, context, ours, extra);
      expect(r.exitCode, r.log.slice(-4000)).toBe(0);
      expect(r.log).toMatch(/in-place executor \(kaniko mode\)/);
      const flat = await flattenRemoteImage(ours, registry());
      if (theirs) expectSameAsBuildah(c, flat, theirs, 'in-place');
      expectCaseConfig(c, flat);
      await runCaseChecks(c, ours, buildahRef, 'in-place');
    }, 600_000);
  }

  it('covers every instruction family', () => {
    const text = cases.map((c) => readFileSync(join(c.dir, 'Dockerfile'), 'utf8')).join('\n');
    for (const needle of [
      /^USER \d+:\d+/m,
      /^USER [a-z]/m,
      /^ADD /m,
      /^COPY --chown/m,
      /^COPY --from=/m,
      /^WORKDIR /m,
      /<</,
      /^ONBUILD /m,
      /^FROM scratch/m,
      /rm -rf/,
    ])
      expect(text).toMatch(needle);
  });
});

/** Base images of a case (ONBUILD parents) are built the ordinary way. */
async function preBuild(c: CorpusCase, dockerfile: string, destination: string) {
  const context = join(scratch, 'corpus', `${c.name}-pre`);
  await prepareContext(c, context);
  await build({
    context,
    dockerfile,
    destinations: [destination],
    push: true,
    buildArgs: { REGISTRY: registry().host },
    registry: client,
  });
}

/** The content of files of a pushed image, read with skopeo's OCI layout (not kaniko-ts). */
async function skopeoCat(ref: string, paths: string[]): Promise<string[]> {
  const blobs = await allBlobs(ref);
  const { extract } = await import('tar-stream');
  const found = new Map<string, string>();
  for (const b of blobs.filter((x) => x.layer)) {
    const ex = extract();
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = `/${h.name.replace(/^\.?\//, '')}`;
        if (paths.includes(name)) found.set(name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      ex.end(b.raw);
    });
  }
  return paths.map((p) => found.get(p) ?? `<missing ${p}>`);
}

/** Every blob of the image (config, layers uncompressed, manifest), as skopeo copies it. */
async function allBlobs(ref: string) {
  const dir = await mkdtemp(join(scratch, 'blobs-'));
  const r = await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`], {
    registry: registry(),
  });
  if (r.exitCode !== 0) throw new Error(`skopeo copy ${ref}: ${r.stderr}`);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const path = (d: string) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(await readFile(path(index.manifests[0].digest), 'utf8'));
  const layers = new Set<string>(manifest.layers.map((l: { digest: string }) => l.digest));
  const out: Array<{ digest: string; layer: boolean; raw: Buffer; text: string }> = [];
  for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
    const digest = `sha256:${name}`;
    let raw = await readFile(path(digest));
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
    out.push({ digest, layer: layers.has(digest), raw, text: raw.toString('latin1') });
  }
  return out;
}

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenRemoteImage } from '../build/image-tree.js';
import { skopeo } from '../harness/index.js';
import { buildInPlace, registry, useInPlaceSuite } from './in-place-run.js';
import { inSandbox } from './sandbox.js';

/**
 * The sandbox the in-place tests run in really is an unprivileged container (Docker's default
 * capabilities, no namespaces, no mounts), and the in-place executor only runs where something says
 * it is in a container, unless --force.
 */
const suite = useInPlaceSuite('sandbox and refusal');

describe('the sandbox is an unprivileged container', () => {
  it('has exactly Docker default capabilities, and namespaces and mounts fail in it', async () => {
    const root = join(suite.scratch, 'probe');
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

describe('in-place executor outside a container', () => {
  it('refuses to build outside a container without --force, and leaves the root alone', async () => {
    const context = await mkdtemp(join(suite.scratch, 'ctx-'));
    // a RUN: without one no executor is chosen at all (nothing would run in `/`)
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY Dockerfile /\nRUN true\n');
    const r = await buildInPlace(suite, 'refuse', context, `${registry().host}/inplace/refused:latest`, [], {
      container: false,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.log).toMatch(/EXECUTOR_UNAVAILABLE|choosing a RUN executor/);
    expect(r.log).toMatch(/nothing says this is a container/);
    expect(r.log).toMatch(/--force/);
    // nothing was cleaned: node's libraries are still where they were
    for (const { to } of suite.template.libs) expect(existsSync(join(r.root, to)), to).toBe(true);
    const pushed = await skopeo([
      'inspect',
      '--tls-verify=false',
      `docker://${registry().host}/inplace/refused:latest`,
    ]);
    expect(pushed.exitCode).not.toBe(0);
  });

  it('builds with --force outside a container', async () => {
    const context = await mkdtemp(join(suite.scratch, 'ctx-'));
    await writeFile(
      join(context, 'Dockerfile'),
      'ARG REGISTRY\nFROM $REGISTRY/base/busybox:latest\nRUN echo forced > /forced\nCMD ["cat", "/forced"]\n',
    );
    const ref = `${registry().host}/inplace/forced:latest`;
    const r = await buildInPlace(suite, 'forced', context, ref, ['--force'], { container: false });
    expect(r.exitCode, r.log).toBe(0);
    expect(r.log).toMatch(/outside a container, forced \(--force\)/);
    const flat = await flattenRemoteImage(ref, registry());
    expect(flat.tree.get('/forced')?.size).toBe('forced\n'.length);
  });
});

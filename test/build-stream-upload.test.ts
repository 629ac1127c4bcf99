import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { build } from '@kaniko-ts/builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, podman } from './harness/index.js';
import { usePushingBuildFixture } from './registry/pushing-build-fixture.js';

// A RUN layer that grows past the streaming threshold (8 MiB compressed) starts uploading while it
// is written: its PATCH requests reach the real registry before the RUN instruction ends, and the
// pushed image is whole (podman runs it and checks the file's digest).

/** Requests undici starts in this process, with when (performance.now()). */
const requests: { at: number; line: string }[] = [];
const onRequest = (message: unknown) => {
  const { request } = message as { request: { method: string; path: string } };
  requests.push({ at: performance.now(), line: `${request.method} ${request.path.split('?')[0]}` });
};
beforeAll(() => subscribe('undici:request:create', onRequest));
afterAll(() => unsubscribe('undici:request:create', onRequest));

describe('a big RUN layer uploads while it is written', () => {
  const reg = () => harness().registries.plain;
  const fx = usePushingBuildFixture('stream-upload-', {
    Dockerfile: [
      'ARG REGISTRY',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build-arg reference
      'FROM ${REGISTRY}/base/busybox:latest',
      // 24 MiB that gzip cannot shrink, and its digest to check after the round trip
      'RUN head -c 25165824 /dev/urandom > /big && sha256sum /big > /big.sha256',
      'CMD ["sha256sum", "-c", "/big.sha256"]',
      '',
    ].join('\n'),
  });

  it('sends PATCH chunks to the destination before the RUN ends, and pushes a working image', async () => {
    const dest = `${reg().host}/stream-upload/app:1`;
    let runEnded = 0;
    requests.length = 0;
    const r = await build({
      context: fx.context,
      buildArgs: { REGISTRY: reg().host },
      registry: fx.client,
      destinations: [dest],
      push: true,
      events: {
        instructionEnd: (e) => {
          if (e.text.startsWith('RUN ')) runEnded = performance.now();
        },
      },
    });
    const patches = requests.filter((q) => q.line.startsWith('PATCH /v2/stream-upload/app/blobs/uploads/'));
    expect(runEnded).toBeGreaterThan(0);
    expect(patches.length).toBeGreaterThanOrEqual(2);
    expect(patches[0]?.at).toBeLessThan(runEnded);
    // the layer went up once, streamed: the client then knew the registry had it, so nothing asked
    // about it again (no HEAD) and nothing uploaded it a second time
    const big = (await r.image?.manifest())?.layers.at(-1)?.digest ?? 'missing';
    const lines = requests.map((q) => q.line);
    expect(
      lines.filter((l) => l.includes(big)),
      lines.join('\n'),
    ).toEqual([]);
    const run = await podman(['run', '--rm', '--network=host', '--tls-verify=false', dest]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('/big: OK');
    expect(r.pushed).toEqual([`${reg().host}/stream-upload/app@${r.digest}`]);
  });
});

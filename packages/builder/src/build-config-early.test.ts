import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlobOutcome, type PushOptions, RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../../../test/harness/index.js';
import { build } from './build.js';

let work: string;
const reg = () => harness().registries.plain;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kts-config-early-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * A client whose layer pushes (blobs that are not the image config) are held until a config blob
 * push has started, or 5 s have passed; it records the order of what happened.
 */
class HoldLayersClient extends RegistryClient {
  readonly events: string[] = [];
  private release!: () => void;
  private readonly released = new Promise<void>((r) => {
    this.release = r;
    setTimeout(r, 5000).unref();
  });

  override async pushBlob(
    ref: Parameters<RegistryClient['pushBlob']>[0],
    blob: Parameters<RegistryClient['pushBlob']>[1],
    options?: PushOptions,
  ): Promise<BlobOutcome> {
    const config = blob.descriptor.mediaType.includes('config');
    if (config) {
      this.events.push('config push started');
      this.release();
    } else {
      await this.released;
    }
    const outcome = await super.pushBlob(ref, blob, options);
    this.events.push(config ? 'config pushed' : 'layer pushed');
    return outcome;
  }
}

describe('the final push', () => {
  it('starts the config blob while layer uploads are still running, then pushes a complete image', async () => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'a.txt'), 'a\n');
    await writeFile(join(ctx, 'b.txt'), 'b\n');
    await writeFile(
      join(ctx, 'Dockerfile'),
      [`FROM ${reg().bases.busybox.ref}`, 'COPY a.txt /a.txt', 'COPY b.txt /b.txt', ''].join('\n'),
    );
    const client = new HoldLayersClient({ insecureRegistries: [reg().host] });
    try {
      const destination = `${reg().host}/config-early/img:t`;
      const outcome = await build({
        context: ctx,
        destinations: [destination],
        push: true,
        registry: client,
        workDir: join(work, 'w'),
      });
      // the config push began before any held layer push could finish
      expect(client.events[0]).toBe('config push started');
      expect(client.events.filter((e) => e === 'layer pushed').length).toBeGreaterThanOrEqual(2);
      // what the registry holds is the image built, config included
      const pulled = await new RegistryClient({ insecureRegistries: [reg().host] }).pullImage(destination);
      expect(await pulled.digest()).toBe(outcome.digest);
      expect((await pulled.configDescriptor()).digest).toBe(outcome.configDigest);
      const built = outcome.image ? await outcome.image.rawConfig() : new Uint8Array();
      expect(Buffer.from(await pulled.rawConfig()).equals(Buffer.from(built))).toBe(true);
    } finally {
      await client.close();
    }
  });
});

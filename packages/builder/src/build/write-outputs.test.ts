import { Readable } from 'node:stream';
import { layerFromBlob, MediaType, sha256 } from '@kaniko-ts/oci';
import { type BlobOutcome, type PushOptions, RegistryClient } from '@kaniko-ts/registry';
import { describe, expect, it } from 'vitest';
import type { BuildOptions } from '../build.js';
import { layerUploader } from './write-outputs.js';

/** A client that records blob pushes instead of sending them (no registry is needed to see the order). */
class RecordingClient extends RegistryClient {
  readonly pushed: string[] = [];
  override async pushBlob(
    _ref: Parameters<RegistryClient['pushBlob']>[0],
    blob: Parameters<RegistryClient['pushBlob']>[1],
    _options?: PushOptions,
  ): Promise<BlobOutcome> {
    this.pushed.push(blob.descriptor.digest);
    return 'uploaded';
  }
}

const layer = (text: string) => {
  const bytes = Buffer.from(text);
  return layerFromBlob({
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(bytes), size: bytes.length },
    open: async () => Readable.from([bytes]),
  });
};

const options = (registry: RegistryClient) =>
  ({ destinations: ['127.0.0.1:9/app:1'], push: true, registry, context: '.' }) as BuildOptions;

describe('layerUploader with a `ready` promise (the push-permission check)', () => {
  it('starts no upload before it resolves, then uploads every layer handed over meanwhile', async () => {
    const client = new RecordingClient();
    let open!: () => void;
    const ready = new Promise<void>((resolve) => {
      open = resolve;
    });
    const uploader = layerUploader(options(client), ready);
    const a = layer('a');
    const b = layer('b');
    uploader.add(a);
    uploader.add(b);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.pushed).toEqual([]);
    open();
    await uploader.settle();
    expect(client.pushed.sort()).toEqual([a.descriptor().digest, b.descriptor().digest].sort());
  });

  it('fails with the check’s own error and uploads nothing when it rejects', async () => {
    const client = new RecordingClient();
    const denied = new Error('checking push permission: 401 unauthorized');
    const ready = Promise.reject(denied);
    ready.catch(() => undefined);
    const uploader = layerUploader(options(client), ready);
    uploader.add(layer('c'));
    await expect(uploader.settle()).rejects.toBe(denied);
    expect(uploader.failure()).toBe(denied);
    expect(client.pushed).toEqual([]);
  });
});

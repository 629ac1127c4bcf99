import { describe, expect, it } from 'vitest';
import { nonEmptyHistoryCount, parseImageConfig } from './image-config.js';
import {
  parseImageIndexManifest,
  parseImageManifest,
  serializeManifest,
  sniffManifestMediaType,
} from './manifest.js';

const D = `sha256:${'a'.repeat(64)}`;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 3 };
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { ...desc, mediaType: 'application/vnd.oci.image.config.v1+json' },
  layers: [desc],
};

describe('parseImageManifest', () => {
  it('accepts a valid manifest and keeps unknown fields', () => {
    const m = parseImageManifest(JSON.stringify({ ...manifest, extra: 1 }));
    expect(m.layers[0]).toEqual(desc);
    expect((m as unknown as { extra: number }).extra).toBe(1);
  });
  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['schema 1', JSON.stringify({ ...manifest, schemaVersion: 1 })],
    ['an index', JSON.stringify({ ...manifest, manifests: [] })],
    ['a bad layer digest', JSON.stringify({ ...manifest, layers: [{ ...desc, digest: 'sha256:xyz' }] })],
    ['a negative size', JSON.stringify({ ...manifest, layers: [{ ...desc, size: -1 }] })],
    ['no media type on config', JSON.stringify({ ...manifest, config: { digest: D, size: 1 } })],
    ['no layers', JSON.stringify({ ...manifest, layers: undefined })],
    ['a bad subject', JSON.stringify({ ...manifest, subject: { mediaType: 'x', digest: D } })],
  ])('rejects %s', (_name, text) => {
    expect(() => parseImageManifest(text)).toThrow(expect.objectContaining({ code: 'INVALID_MANIFEST' }));
  });
});

describe('parseImageIndexManifest', () => {
  it('accepts an index and rejects missing manifests', () => {
    const idx = {
      schemaVersion: 2,
      manifests: [{ ...desc, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
    };
    expect(parseImageIndexManifest(serializeManifest(idx)).manifests.length).toBe(1);
    expect(() => parseImageIndexManifest('{"schemaVersion":2}')).toThrow(/manifests missing/);
  });
});

describe('sniffManifestMediaType', () => {
  it('uses mediaType, else the shape', () => {
    expect(sniffManifestMediaType(JSON.stringify(manifest))).toBe(manifest.mediaType);
    expect(sniffManifestMediaType('{"schemaVersion":2,"manifests":[]}')).toBe(
      'application/vnd.oci.image.index.v1+json',
    );
    expect(sniffManifestMediaType('{"schemaVersion":2,"layers":[]}')).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
  });
});

describe('image config', () => {
  it('parses and counts layer history', () => {
    const c = parseImageConfig(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        history: [{ created_by: 'a' }, { created_by: 'ENV', empty_layer: true }, {}],
      }),
    );
    expect(nonEmptyHistoryCount(c)).toBe(2);
    expect(() => parseImageConfig('null')).toThrow(expect.objectContaining({ code: 'INVALID_MANIFEST' }));
  });
});

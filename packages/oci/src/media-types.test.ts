import { describe, expect, it } from 'vitest';
import {
  convertMediaType,
  isConfigMediaType,
  isDistributableMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  layerCompression,
  layerMediaType,
  MediaType,
  mediaTypeFamily,
} from './media-types.js';

describe('media type predicates', () => {
  it('classifies manifests and indexes of both families', () => {
    expect(isIndexMediaType('application/vnd.oci.image.index.v1+json')).toBe(true);
    expect(isIndexMediaType('application/vnd.docker.distribution.manifest.list.v2+json')).toBe(true);
    expect(isIndexMediaType('application/vnd.oci.image.manifest.v1+json')).toBe(false);
    expect(isManifestMediaType('application/vnd.docker.distribution.manifest.v2+json')).toBe(true);
    expect(isManifestMediaType('application/vnd.oci.image.manifest.v1+json')).toBe(true);
    expect(isManifestMediaType('application/vnd.docker.distribution.manifest.v1+prettyjws')).toBe(false);
    expect(isManifestMediaType(undefined)).toBe(false);
    expect(isConfigMediaType('application/vnd.docker.container.image.v1+json')).toBe(true);
  });
  it.each([
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
  ])('%s is a %s layer', (mt, compression) => {
    expect(isLayerMediaType(mt)).toBe(true);
    expect(layerCompression(mt)).toBe(compression);
  });
  it('does not treat artifacts or configs as layers', () => {
    for (const mt of ['application/vnd.oci.empty.v1+json', 'application/vnd.dev.sigstore.bundle.v0.3+json']) {
      expect(isLayerMediaType(mt)).toBe(false);
      expect(layerCompression(mt)).toBeUndefined();
    }
    expect(isLayerMediaType(MediaType.ociConfig)).toBe(false);
  });
  it('knows foreign layers are not distributable', () => {
    expect(isDistributableMediaType('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')).toBe(false);
    expect(isDistributableMediaType('application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
  });
  it('converts between families and back', () => {
    expect(convertMediaType('application/vnd.oci.image.manifest.v1+json', 'docker')).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(convertMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip', 'oci')).toBe(
      'application/vnd.oci.image.layer.v1.tar+gzip',
    );
    expect(convertMediaType('application/vnd.oci.empty.v1+json', 'docker')).toBe(
      'application/vnd.oci.empty.v1+json',
    );
    for (const mt of Object.values(MediaType)) {
      const family = mediaTypeFamily(mt)!;
      const other = family === 'oci' ? 'docker' : 'oci';
      const there = convertMediaType(mt, other);
      if (there !== mt) expect(convertMediaType(there, family)).toBe(mt);
    }
  });
  it('builds layer media types from compression and family', () => {
    expect(layerMediaType('zstd')).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(layerMediaType('gzip', 'docker')).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
  });
});

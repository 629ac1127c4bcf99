import { describe, expect, it } from 'vitest';
import { compileCacheDir } from '../compile-cache.js';

describe('compileCacheDir', () => {
  it('is <cache-dir>/node-compile-cache for build --cache-dir, in both flag forms', () => {
    expect(compileCacheDir(['build', '--cache', '--cache-dir', '/c', '--context', '.'], '/w')).toBe(
      '/c/node-compile-cache',
    );
    expect(compileCacheDir(['build', '--cache-dir=/c/d'], '/w')).toBe('/c/d/node-compile-cache');
  });

  it('resolves a relative cache dir against the working directory (as the build step does)', () => {
    expect(compileCacheDir(['build', '--cache-dir', 'cache'], '/w/s')).toBe('/w/s/cache/node-compile-cache');
  });

  it('is undefined for other commands, without --cache-dir, or with no usable value', () => {
    expect(compileCacheDir(['sign', '--cache-dir', '/c'], '/w')).toBeUndefined();
    expect(compileCacheDir(['build', '--cache', '--context', '.'], '/w')).toBeUndefined();
    expect(compileCacheDir(['build', '--cache-dir'], '/w')).toBeUndefined();
    expect(compileCacheDir(['build', '--cache-dir', '--cache'], '/w')).toBeUndefined();
    expect(compileCacheDir(['build', '--cache-dir='], '/w')).toBeUndefined();
    expect(compileCacheDir([], '/w')).toBeUndefined();
  });
});

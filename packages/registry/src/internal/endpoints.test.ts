import { describe, expect, it } from 'vitest';
import { parseReference } from '../reference.js';
import { mirrorsToMap, pullEndpoints } from './endpoints.js';

describe('pullEndpoints', () => {
  it('tries docker.io mirrors (with path prefixes) before Docker Hub', () => {
    const maps = mirrorsToMap(['mirror.gcr.io', '127.0.0.1:5000/hub'], {});
    const out = pullEndpoints(parseReference('debian:12'), maps, false).map(String);
    expect(out).toEqual([
      'mirror.gcr.io/library/debian:12',
      '127.0.0.1:5000/hub/library/debian:12',
      'index.docker.io/library/debian:12',
    ]);
    expect(pullEndpoints(parseReference('quay.io/a/b'), maps, false).map(String)).toEqual([
      'quay.io/a/b:latest',
    ]);
  });

  it('applies registry maps with path prefixes and can skip the default', () => {
    const maps = mirrorsToMap([], { 'quay.io/team': ['127.0.0.1:6000/q'], 'gcr.io': ['127.0.0.1:7000'] });
    expect(pullEndpoints(parseReference('quay.io/team/app:1'), maps, true).map(String)).toEqual([
      '127.0.0.1:6000/q/app:1',
    ]);
    expect(pullEndpoints(parseReference('quay.io/other/app:1'), maps, true).map(String)).toEqual([
      'quay.io/other/app:1',
    ]);
    expect(pullEndpoints(parseReference('gcr.io/p/i'), maps, false).map(String)).toEqual([
      '127.0.0.1:7000/p/i:latest',
      'gcr.io/p/i:latest',
    ]);
  });
});

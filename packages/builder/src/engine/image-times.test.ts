import type { ImageConfig } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { imageContentKey, withImageTime } from './image-times.js';

const clock = '2026-03-01T10:00:00.000Z';
const config = (time: string, cmd = ['a']): ImageConfig => ({
  created: time,
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: cmd },
  rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] },
  history: [
    { created: '2020-01-01T00:00:00Z', created_by: 'base' },
    { created: time, created_by: 'RUN x', comment: 'kaniko-ts' },
  ],
});

describe('imageContentKey', () => {
  it('ignores only the times this build wrote', () => {
    const later = '2026-03-02T10:00:00.000Z';
    expect(imageContentKey(config(clock), clock)).toBe(imageContentKey(config(later), later));
    expect(imageContentKey(config(clock), clock)).toMatch(/^[0-9a-f]{64}$/);
    expect(imageContentKey(config(clock, ['b']), clock)).not.toBe(imageContentKey(config(clock), clock));
    const otherBase = config(clock);
    (otherBase.history ?? [])[0] = { created: '2021-01-01T00:00:00Z', created_by: 'base' };
    expect(imageContentKey(otherBase, clock)).not.toBe(imageContentKey(config(clock), clock));
    const otherLayer = { ...config(clock), rootfs: { type: 'layers' as const, diff_ids: [] } };
    expect(imageContentKey(otherLayer, clock)).not.toBe(imageContentKey(config(clock), clock));
  });
});

describe('withImageTime', () => {
  it("replaces this build's times and keeps the base image's", () => {
    const first = '2026-01-01T00:00:00.000Z';
    const out = withImageTime(config(clock), clock, first);
    expect(out).toEqual(config(first));
    expect(JSON.stringify(out)).toBe(JSON.stringify(config(first)));
  });
});

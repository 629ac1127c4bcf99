import { describe, expect, it } from 'vitest';
import { onlyShadowDayAdvanced } from './corpus-compare.js';
import type { FlatImage, TreeEntry } from './image-tree.js';

const BASE = 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n';

function image(shadow: string, over: Partial<TreeEntry> = {}): FlatImage {
  const content = Buffer.from(shadow);
  const entry: TreeEntry = {
    type: 'file',
    mode: 0o640,
    uid: 0,
    gid: 42,
    size: content.length,
    content,
    ...over,
  };
  return { tree: new Map([['/etc/shadow', entry]]), config: {}, layers: 1 };
}

describe('onlyShadowDayAdvanced', () => {
  it('accepts a useradd entry stamped one day later in our image (a build across midnight UTC)', () => {
    const theirs = image(`${BASE}builder:!:20414:0:99999:7:::\n`);
    const ours = image(`${BASE}builder:!:20415:0:99999:7:::\n`);
    expect(onlyShadowDayAdvanced(ours, theirs)).toBe(true);
  });

  it('rejects identical files (nothing to excuse), two days, an earlier day, and other fields', () => {
    const theirs = image(`${BASE}builder:!:20414:0:99999:7:::\n`);
    expect(onlyShadowDayAdvanced(theirs, theirs)).toBe(false);
    expect(onlyShadowDayAdvanced(image(`${BASE}builder:!:20416:0:99999:7:::\n`), theirs)).toBe(false);
    expect(onlyShadowDayAdvanced(image(`${BASE}builder:!:20413:0:99999:7:::\n`), theirs)).toBe(false);
    // the password field differs as well as the day
    expect(onlyShadowDayAdvanced(image(`${BASE}builder:*:20415:0:99999:7:::\n`), theirs)).toBe(false);
    // an extra entry
    expect(
      onlyShadowDayAdvanced(image(`${BASE}builder:!:20415:0:99999:7:::\nx:!:1:0:99999:7:::\n`), theirs),
    ).toBe(false);
  });

  it('rejects a day-advanced file whose mode or owner also differs', () => {
    const theirs = image(`${BASE}builder:!:20414:0:99999:7:::\n`);
    expect(
      onlyShadowDayAdvanced(image(`${BASE}builder:!:20415:0:99999:7:::\n`, { mode: 0o644 }), theirs),
    ).toBe(false);
    expect(onlyShadowDayAdvanced(image(`${BASE}builder:!:20415:0:99999:7:::\n`, { gid: 0 }), theirs)).toBe(
      false,
    );
  });
});

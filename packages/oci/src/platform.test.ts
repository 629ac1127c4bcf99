import { describe, expect, it } from 'vitest';
import {
  defaultPlatform,
  formatPlatform,
  fromPlatformJson,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  toPlatformJson,
} from './platform.js';

describe('parsePlatform / formatPlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/arm/v5', 'linux/arm/v5'],
    ['linux/i386', 'linux/386'],
    ['linux/i686', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/arm64/v9', 'linux/arm64/v9'],
    ['linux/riscv64', 'linux/riscv64'],
    ['macos/arm64', 'darwin/arm64'],
  ])('%s normalizes to %s', (input, expected) => {
    expect(formatPlatform(parsePlatform(input))).toBe(expected);
  });

  it('parses windows os version', () => {
    expect(parsePlatform('windows(10.0.17763.5122)/amd64')).toEqual({
      os: 'windows',
      architecture: 'amd64',
      osVersion: '10.0.17763.5122',
    });
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/extra', 'linux/am d64', 'windows(1/amd64'])(
    'rejects %j',
    (input) => {
      expect(() => parsePlatform(input)).toThrow(expect.objectContaining({ code: 'INVALID_PLATFORM' }));
    },
  );
});

describe('JSON shape', () => {
  it('round-trips os.version and os.features', () => {
    const p = { os: 'windows', architecture: 'amd64', osVersion: '10.0', osFeatures: ['win32k'] };
    const json = toPlatformJson(p);
    expect(json).toEqual({
      os: 'windows',
      architecture: 'amd64',
      'os.version': '10.0',
      'os.features': ['win32k'],
    });
    expect(fromPlatformJson(json)).toEqual(p);
  });
  it('normalizePlatform accepts the JSON shape', () => {
    expect(normalizePlatform({ os: 'linux', architecture: 'aarch64', variant: 'v8' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
    });
  });
});

describe('platformMatches', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }, true],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }, true],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm' }, true],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v7' }, false],
    ['linux/arm64', { os: 'linux', architecture: 'amd64' }, false],
    ['linux/amd64', { os: 'windows', architecture: 'amd64' }, false],
    ['linux/amd64', { os: 'unknown', architecture: 'unknown' }, false],
  ] as const)('%s vs %j → %s', (want, have, expected) => {
    expect(platformMatches(parsePlatform(want), have)).toBe(expected);
  });
  it('requires os.version when asked', () => {
    const want = parsePlatform('windows(10.0.1)/amd64');
    expect(platformMatches(want, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.1' })).toBe(
      true,
    );
    expect(platformMatches(want, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.2' })).toBe(
      false,
    );
  });
});

describe('defaultPlatform', () => {
  it.each([
    ['x64', 'linux/amd64'],
    ['arm64', 'linux/arm64'],
    ['arm', 'linux/arm/v7'],
    ['ia32', 'linux/386'],
    ['s390x', 'linux/s390x'],
    ['ppc64', 'linux/ppc64le'],
  ])('node arch %s → %s', (arch, expected) => {
    expect(formatPlatform(defaultPlatform(arch))).toBe(expected);
  });
  it('honours an arm version', () => {
    expect(formatPlatform(defaultPlatform('arm', '6'))).toBe('linux/arm/v6');
  });
});

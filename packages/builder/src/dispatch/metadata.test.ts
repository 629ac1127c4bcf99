import type { ImageConfig } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { applyMetadata, commandArgv, exposedPorts, resolveWorkdir, setEnv } from './metadata.js';

const base = (): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'] },
  rootfs: { type: 'layers', diff_ids: [] },
});
const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 10 } };

describe('metadata instructions', () => {
  it('ENV replaces a key in place and appends new keys', () => {
    expect(setEnv(['A=1', 'B=2'], 'A', 'x')).toEqual(['A=x', 'B=2']);
    const r = applyMetadata(
      base(),
      {
        kind: 'ENV',
        env: [
          { key: 'A', value: '2' },
          { key: 'C', value: 'c d' },
        ],
        range,
        original: 'ENV A=2 C="c d"',
      },
      { cmdSet: false },
    );
    expect(r?.config.config?.Env).toEqual(['PATH=/bin', 'A=2', 'C=c d']);
    expect(r?.createdBy).toBe('ENV A=2 C=c d');
  });

  it('a new ENTRYPOINT clears an inherited CMD but keeps a CMD set earlier in the stage', () => {
    const entry = {
      kind: 'ENTRYPOINT' as const,
      command: { form: 'exec' as const, args: ['/app'] },
      range,
      original: '',
    };
    const cleared = applyMetadata(base(), entry, { cmdSet: false });
    expect(cleared?.config.config?.Cmd).toBeNull();
    expect(cleared?.config.config?.Entrypoint).toEqual(['/app']);
    const state = { cmdSet: false };
    const withCmd = applyMetadata(
      base(),
      { kind: 'CMD', command: { form: 'exec', args: ['--flag'] }, range, original: '' },
      state,
    );
    expect(state.cmdSet).toBe(true);
    const kept = applyMetadata(withCmd!.config, entry, state);
    expect(kept?.config.config?.Cmd).toEqual(['--flag']);
  });

  it('shell-form commands go through SHELL', () => {
    expect(commandArgv({ form: 'shell', text: 'echo hi', heredocs: [] }, undefined)).toEqual([
      '/bin/sh',
      '-c',
      'echo hi',
    ]);
    expect(commandArgv({ form: 'shell', text: 'x', heredocs: [] }, ['/bin/bash', '-e', '-c'])).toEqual([
      '/bin/bash',
      '-e',
      '-c',
      'x',
    ]);
  });

  it('EXPOSE defaults to tcp, lower-cases protocols and expands ranges', () => {
    expect(exposedPorts(['80', '53/UDP', '7000-7002/tcp'])).toEqual([
      '80/tcp',
      '53/udp',
      '7000/tcp',
      '7001/tcp',
      '7002/tcp',
    ]);
  });

  it('WORKDIR resolves relative paths against the current one', () => {
    expect(resolveWorkdir(undefined, 'a')).toBe('/a');
    expect(resolveWorkdir('/a', 'b/../c')).toBe('/a/c');
    expect(resolveWorkdir('/a', '/x/')).toBe('/x');
    const r = applyMetadata(base(), { kind: 'WORKDIR', path: 'srv', range, original: '' }, { cmdSet: false });
    expect(r?.needsDirectory).toBe('/srv');
  });

  it('HEALTHCHECK NONE keeps only the test; others keep their durations', () => {
    const none = applyMetadata(
      base(),
      {
        kind: 'HEALTHCHECK',
        test: ['NONE'],
        intervalNs: 0,
        timeoutNs: 0,
        startPeriodNs: 0,
        startIntervalNs: 0,
        retries: 0,
        range,
        original: '',
      },
      { cmdSet: false },
    );
    expect(none?.config.config?.Healthcheck).toEqual({ Test: ['NONE'] });
    const hc = applyMetadata(
      base(),
      {
        kind: 'HEALTHCHECK',
        test: ['CMD-SHELL', 'true'],
        intervalNs: 5e9,
        timeoutNs: 0,
        startPeriodNs: 0,
        startIntervalNs: 0,
        retries: 3,
        range,
        original: '',
      },
      { cmdSet: false },
    );
    expect(hc?.config.config?.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'true'],
      Interval: 5e9,
      Retries: 3,
    });
  });

  it('MAINTAINER sets the author; RUN and COPY are not metadata', () => {
    const r = applyMetadata(
      base(),
      { kind: 'MAINTAINER', maintainer: 'me', range, original: '' },
      { cmdSet: false },
    );
    expect(r?.config.author).toBe('me');
    expect(
      applyMetadata(
        base(),
        { kind: 'RUN', command: { form: 'exec', args: ['x'] }, mounts: [], range, original: '' },
        { cmdSet: false },
      ),
    ).toBeUndefined();
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text with ${…} is the test data
import { describe, expect, it } from 'vitest';
import { looksLikeSecret } from './checks.js';
import { lintDockerfile } from './lint.js';
import { LINT_RULES } from './rules.js';
import { mutableReference } from './supply-chain.js';

const PINNED = 'FROM alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000';
const found = (src: string) => lintDockerfile(src).map((w) => `${w.rule}@${w.line}:${w.column}`);

describe('every rule has an id and documentation', () => {
  it('ids are unique and described', () => {
    expect(new Set(LINT_RULES.map((r) => r.id)).size).toBe(LINT_RULES.length);
    for (const r of LINT_RULES) expect(r.description.length).toBeGreaterThan(20);
  });
});

describe('BuildKit checks', () => {
  it.each([
    [`${PINNED}\nUSER u\nCMD run`, ['JSONArgsRecommended@3:1']],
    [`${PINNED}\nUSER u\nSHELL ["/bin/bash","-c"]\nCMD run`, []],
    [`${PINNED} AS Build\nUSER u`, ['StageNameCasing@1:1']],
    [`${PINNED} as b\nUSER u`, ['FromAsCasing@1:1']],
    [`${PINNED} AS scratch\nUSER u`, ['ReservedStageName@1:1']],
    [`${PINNED}\nMAINTAINER me\nUSER u`, ['MaintainerDeprecated@2:1']],
    [
      `${PINNED}\nrun x\nrun y\nUSER u`,
      ['ConsistentInstructionCasing@2:1', 'ConsistentInstructionCasing@3:1'],
    ],
    [`${PINNED}\nrun x\nrun y\nuser u`, ['ConsistentInstructionCasing@1:1']],
    [`${PINNED}\nRun x\nUSER u`, ['ConsistentInstructionCasing@2:1']],
    [`${PINNED}\nUSER u\nCMD ["a"]\nCMD ["b"]`, ['MultipleInstructionsDisallowed@3:1']],
    [`${PINNED}\nENV a b\nUSER u`, ['LegacyKeyValueFormat@2:1']],
    [`FROM --platform=$TARGETPLATFORM ${PINNED.slice(5)}\nUSER u`, ['RedundantTargetPlatform@1:1']],
    [
      `${PINNED}\nARG GITHUB_TOKEN\nENV DB_PASSWORD=x\nUSER u`,
      ['SecretsUsedInArgOrEnv@2:1', 'SecretsUsedInArgOrEnv@3:1'],
    ],
    [`${PINNED}\nWORKDIR app\nUSER u`, ['WorkdirRelativePath@2:1']],
    [`${PINNED}\nENV A=$UNDEFINED_THING\nUSER u`, []],
    ['FROM scratch\nENV A=$UNDEFINED_THING\nUSER u', ['UndefinedVar@2:1']],
    [
      'ARG TAG\nFROM alpine:${TAG}@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER u',
      ['InvalidDefaultArgInFrom@2:1'],
    ],
    [
      'ARG TAG=3\nFROM alpine:${TAG}@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER u',
      [],
    ],
  ])('%s', (src, expected) => {
    expect(found(src)).toEqual(expected);
  });
  it('duplicate stage names are reported by the lint (and are an error when planning)', () => {
    expect(found(`${PINNED} AS a\nUSER u\n${PINNED} AS a\nUSER u`)).toEqual(['DuplicateStageName@3:1']);
  });
  it('secret-looking names follow BuildKit: whole words between underscores, PUBLIC allowed', () => {
    for (const n of ['API_KEY', 'apikey', 'AUTH', 'aws_secret_access_key', 'NPM_TOKEN', 'password', 'apiKey'])
      expect(looksLikeSecret(n)).toBe(true);
    for (const n of ['PUBLIC_KEY', 'KEYBOARD', 'TOKENIZER', 'monkey', 'MY_KEYS'])
      expect(looksLikeSecret(n)).toBe(false);
  });
});

describe('supply-chain checks', () => {
  it('final stage as root', () => {
    expect(found(`${PINNED}\nRUN x`)).toEqual(['RootUser@1:1']);
    expect(found(`${PINNED}\nUSER root`)).toEqual(['RootUser@2:1']);
    expect(found(`${PINNED}\nUSER 0:0`)).toEqual(['RootUser@2:1']);
    expect(found(`${PINNED}\nUSER app\nUSER root:root`)).toEqual(['RootUser@3:1']);
    expect(found(`${PINNED} AS b\nUSER app\nFROM b\nRUN x`)).toEqual([]);
  });
  it('mutable base image references', () => {
    expect(mutableReference('alpine')).toBe('untagged');
    expect(mutableReference('alpine:latest')).toBe('latest');
    expect(mutableReference('localhost:5000/x')).toBe('untagged');
    expect(mutableReference('localhost:5000/x:1.2')).toBeUndefined();
    expect(mutableReference('x@sha256:abc')).toBeUndefined();
    expect(found('FROM busybox:latest\nUSER u')).toEqual(['MutableBaseImage@1:1']);
  });
  it('ADD from a URL without --checksum', () => {
    expect(found(`${PINNED}\nADD https://example.com/a.tgz /a\nUSER u`)).toEqual([
      'AddUrlWithoutChecksum@2:1',
    ]);
    expect(
      found(
        `${PINNED}\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a.tgz /a\nUSER u`,
      ),
    ).toEqual([]);
  });
  it('curl | sh patterns, also in heredocs', () => {
    expect(found(`${PINNED}\nRUN curl -fsSL https://get.example.com | sh\nUSER u`)).toEqual([
      'CurlPipeShell@2:1',
    ]);
    expect(found(`${PINNED}\nRUN wget -qO- https://x | sudo bash -s --\nUSER u`)).toEqual([
      'CurlPipeShell@2:1',
    ]);
    expect(found(`${PINNED}\nRUN <<EOF\ncurl https://x | /bin/sh\nEOF\nUSER u`)).toEqual([
      'CurlPipeShell@2:1',
    ]);
    expect(found(`${PINNED}\nRUN curl -o f https://x && sha256sum -c f.sha && sh f\nUSER u`)).toEqual([]);
  });
});

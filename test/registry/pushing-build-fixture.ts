import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@kaniko-ts/registry';
import { afterAll, beforeAll } from 'vitest';
import { harness } from '../harness/index.js';

/** A build context on disk and a client of the harness's plain registry, for tests that build and push. */
export interface PushingBuildFixture {
  /** Temporary folder, removed afterwards; free for the test's own outputs. */
  readonly work: string;
  /** `<work>/ctx`, holding the files the test asked for. */
  readonly context: string;
  /** A client of `harness().registries.plain`. */
  readonly client: RegistryClient;
}

/**
 * Registers the file's beforeAll/afterAll: writes `files` (name → content) into a fresh build
 * context and opens a client of the plain registry; removes both afterwards. The returned fixture
 * is readable inside tests (once beforeAll has run).
 */
export function usePushingBuildFixture(
  prefix: string,
  files: Readonly<Record<string, string>>,
): PushingBuildFixture {
  let f: PushingBuildFixture | undefined;
  beforeAll(async () => {
    const work = await mkdtemp(join(tmpdir(), prefix));
    const context = join(work, 'ctx');
    await mkdir(context);
    for (const [name, content] of Object.entries(files)) await writeFile(join(context, name), content);
    f = {
      work,
      context,
      client: new RegistryClient({ insecureRegistries: [harness().registries.plain.host] }),
    };
  });
  afterAll(async () => {
    await f?.client.close();
    if (f) await rm(f.work, { recursive: true, force: true });
  });
  const started = (): PushingBuildFixture => {
    if (!f) throw new Error('pushing build fixture used before its beforeAll ran');
    return f;
  };
  return {
    get work() {
      return started().work;
    },
    get context() {
      return started().context;
    },
    get client() {
      return started().client;
    },
  };
}

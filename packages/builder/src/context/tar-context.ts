import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BuilderError } from '../builder-error.js';
import { extractLayer } from '../rootfs/extract-layer.js';
import { DirectoryContext } from './directory-context.js';

export interface TarContextOptions {
  /** Directory under which the context is unpacked (a fresh temporary directory; removed by dispose()). */
  scratchDir: string;
  /** `.dockerignore` filter: true when a relative path is excluded. */
  exclude?: (rel: string) => boolean;
  /** Refuse archives whose files add up to more than this many bytes. */
  maxSize?: number;
}

/** Reads the first bytes to tell gzip from plain tar, then hands on the whole stream. */
async function* decompressed(input: Readable): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 6) {
    const next = await it.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value as Buffer)]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Buffer;
  };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const feed = (async () => {
      for await (const chunk of rest())
        if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    })();
    feed.catch((e: unknown) => gunzip.destroy(e as Error));
    yield* gunzip as AsyncIterable<Buffer>;
    await feed;
    return;
  }
  const magic = head.subarray(0, 6).toString('latin1');
  if (magic.startsWith('BZh') || magic === '\xfd7zXZ\0' || head.readUInt32LE(0) === 0xfd2fb528) {
    throw new BuilderError(
      'CONTEXT_INVALID',
      'reading the build context: only tar and tar.gz archives are supported',
    );
  }
  yield* rest();
}

/**
 * A build context from a tar or tar.gz archive (a file path, or a stream such as stdin), unpacked
 * into a private temporary directory with the same safe extraction as image layers (no entry can
 * leave it; `.wh.` names are ordinary files here) and served as a DirectoryContext.
 */
export async function openTarContext(
  input: string | Readable,
  opts: TarContextOptions,
): Promise<DirectoryContext> {
  const dir = await mkdtemp(`${opts.scratchDir.replace(/\/+$/, '')}/context-`);
  try {
    const stream = typeof input === 'string' ? createReadStream(input) : input;
    await extractLayer(dir, decompressed(stream), {
      chown: false,
      xattrs: false,
      whiteouts: false,
      ...(opts.maxSize === undefined ? {} : { maxTotalSize: opts.maxSize }),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (error instanceof BuilderError) {
      throw new BuilderError(
        error.code === 'LAYER_TOO_LARGE' ? 'CONTEXT_INVALID' : error.code,
        `reading the build context: ${error.message}`,
        {
          cause: error,
          ...(error.entry === undefined ? {} : { entry: error.entry }),
        },
      );
    }
    throw new BuilderError('CONTEXT_INVALID', `reading the build context: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new DirectoryContext(dir, {
    ...(opts.exclude ? { exclude: opts.exclude } : {}),
    onDispose: () => rm(dir, { recursive: true, force: true }),
  });
}

/** A build context directory on disk. */
export function openDirectoryContext(
  dir: string,
  opts: { exclude?: (rel: string) => boolean } = {},
): DirectoryContext {
  return new DirectoryContext(dir, opts);
}

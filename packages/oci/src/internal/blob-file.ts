import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../descriptor.js';
import { verifyBytes, verifyingStream } from '../digest.js';

async function exists(path: string, size: number): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.size === size;
  } catch {
    return false;
  }
}

/**
 * Writes a content-addressed blob: skipped when a file of the right size is already there;
 * otherwise streamed through a verifier into a temp file and renamed, so a reader never sees a
 * partial or corrupt blob under its digest name.
 */
export async function writeBlobFile(
  path: string,
  desc: Descriptor,
  open: () => Promise<Readable>,
): Promise<boolean> {
  if (await exists(path, desc.size)) return false;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await pipeline(await open(), verifyingStream(desc.digest, desc.size), createWriteStream(tmp));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return true;
}

/** `writeBlobFile` for in-memory bytes (manifests, configs). */
export async function writeBlobBytes(path: string, desc: Descriptor, bytes: Uint8Array): Promise<boolean> {
  if (await exists(path, desc.size)) return false;
  verifyBytes(bytes, desc.digest, desc.size);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return true;
}

/** Atomically replaces a small file. */
export async function replaceFile(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

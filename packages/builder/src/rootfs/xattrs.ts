import { getAttribute, listAttributes, setAttribute } from '@napi-rs/xattr';

/**
 * Extended attributes through @napi-rs/xattr, which uses the l*xattr(2) calls: symlinks are never
 * followed. Overlayfs' private attributes (`trusted.overlay.*`, `user.overlay.*`) are never read
 * into layers.
 */
export const isPrivateXattr = (name: string): boolean =>
  name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');

/** All public xattrs of a path, sorted by name; an empty map where the file system has none. */
export async function readXattrs(abs: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let names: string[];
  try {
    names = await listAttributes(abs);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (isPrivateXattr(name)) continue;
    const value = await getAttribute(abs, name).catch(() => null);
    if (value) out.set(name, Buffer.from(value));
  }
  return out;
}

/** Reads one xattr, null when absent. */
export async function readXattr(abs: string, name: string): Promise<Buffer | null> {
  try {
    return await getAttribute(abs, name);
  } catch {
    return null;
  }
}

/** Sets xattrs on a path without following a final symlink. */
export async function writeXattrs(abs: string, xattrs: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [name, value] of xattrs) await setAttribute(abs, name, value);
}

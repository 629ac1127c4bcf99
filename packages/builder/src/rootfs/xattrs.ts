import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/**
 * Extended attributes, without following symlinks, through the first backend that works here:
 *
 * 1. `native`: @napi-rs/xattr (the l*xattr(2) calls). The action bundles ship only its linux-x64
 *    binary, so on an arm64 runner it cannot load;
 * 2. `attr-tools`: `getfattr`/`setfattr` from Debian's `attr` package, one process per path;
 * 3. `none`: xattrs are neither read into layers nor restored from them (`describeXattrSupport`
 *    says so, for the build log).
 *
 * The native module is imported on each call (Node caches it) rather than remembered here, so this
 * module holds no state. Overlayfs' private attributes (`trusted.overlay.*`, `user.overlay.*`) are
 * never read into layers.
 */
export type XattrBackendKind = 'native' | 'attr-tools' | 'none';

export interface XattrBackend {
  readonly kind: XattrBackendKind;
  /** Why this backend (and not a better one), for the build log. */
  readonly reason: string;
  list(abs: string): Promise<string[]>;
  get(abs: string, name: string): Promise<Buffer | null>;
  set(abs: string, name: string, value: Buffer): Promise<void>;
  remove(abs: string, name: string): Promise<void>;
}

interface NativeXattr {
  listAttributes(path: string): Promise<string[]>;
  getAttribute(path: string, name: string): Promise<Buffer | null>;
  /** The synchronous forms (a system call each, no thread-pool round trip), where the binding has them. */
  listAttributesSync?(path: string): string[];
  getAttributeSync?(path: string, name: string): Buffer | null;
  setAttribute(path: string, name: string, value: Buffer): Promise<void>;
  removeAttribute(path: string, name: string): Promise<void>;
}

export interface XattrBackendOptions {
  /** Loads the native binding (default: `import('@napi-rs/xattr')`); tests make it fail. */
  loadNative?: () => Promise<unknown>;
  /** Directories searched for getfattr/setfattr (default: the usual sbin/bin directories). */
  toolDirs?: readonly string[];
}

const TOOL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export const isPrivateXattr = (name: string): boolean =>
  name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');

async function findTool(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args[0]}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** A getfattr value as printed with `-e hex`: `0x…` hex, `"…"` text with octal escapes, or empty. */
function decodeValue(text: string): Buffer {
  if (text.startsWith('0x')) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('"') && text.endsWith('"')) {
    const body = text
      .slice(1, -1)
      .replace(/\\([0-7]{3}|\\)/g, (_, e: string) =>
        e === '\\' ? '\\' : String.fromCharCode(Number.parseInt(e, 8)),
      );
    return Buffer.from(body, 'latin1');
  }
  return Buffer.alloc(0);
}

/** `getfattr -d` output → name → value. */
function parseDump(out: string): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (const line of out.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    map.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? Buffer.alloc(0) : decodeValue(line.slice(eq + 1)));
  }
  return map;
}

function toolsBackend(getfattr: string, setfattr: string, reason: string): XattrBackend {
  const dump = async (abs: string, select: string[]) =>
    parseDump(await run(getfattr, ['--absolute-names', '-h', ...select, '-e', 'hex', '--', abs]));
  return {
    kind: 'attr-tools',
    reason,
    // `-m -`: every namespace (getfattr's default pattern shows user.* only)
    list: async (abs) => [...(await dump(abs, ['-d', '-m', '-'])).keys()],
    // an absent attribute makes getfattr fail: null, as the native binding gives
    get: async (abs, name) => (await dump(abs, ['-n', name]).catch(() => null))?.get(name) ?? null,
    set: async (abs, name, value) => {
      await run(setfattr, ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, '--', abs]);
    },
    remove: async (abs, name) => {
      await run(setfattr, ['-h', '-x', name, '--', abs]);
    },
  };
}

const noneBackend = (reason: string): XattrBackend => ({
  kind: 'none',
  reason,
  list: async () => [],
  get: async () => null,
  set: async () => undefined,
  remove: async () => undefined,
});

/** The backend this process can use (see the module comment). */
export async function xattrBackend(opts: XattrBackendOptions = {}): Promise<XattrBackend> {
  let why: string;
  try {
    const loaded = (await (opts.loadNative ?? (() => import('@napi-rs/xattr')))()) as Partial<NativeXattr> & {
      default?: Partial<NativeXattr>;
    };
    // a bundled CommonJS module whose loader threw can come back as an empty object
    const mod = typeof loaded.listAttributes === 'function' ? loaded : loaded.default;
    if (
      mod &&
      typeof mod.listAttributes === 'function' &&
      typeof mod.getAttribute === 'function' &&
      typeof mod.setAttribute === 'function' &&
      typeof mod.removeAttribute === 'function'
    ) {
      const n = mod as NativeXattr;
      // reads are one l*xattr(2) call each: synchronous where the binding allows, since a layer
      // reads the xattrs of every file it holds and a thread-pool round trip costs more than the call
      const listSync = n.listAttributesSync;
      const getSync = n.getAttributeSync;
      return {
        kind: 'native',
        reason: 'xattrs: native binding',
        list: typeof listSync === 'function' ? async (abs) => listSync(abs) : (abs) => n.listAttributes(abs),
        get:
          typeof getSync === 'function'
            ? async (abs, name) => getSync(abs, name)
            : (abs, name) => n.getAttribute(abs, name),
        set: (abs, name, value) => n.setAttribute(abs, name, value),
        remove: (abs, name) => n.removeAttribute(abs, name),
      };
    }
    why = 'the native binding has no xattr functions';
  } catch (error) {
    why = `no native binding for ${process.platform}-${process.arch} (${String((error as Error).message ?? error).split('\n')[0]})`;
  }
  const dirs = opts.toolDirs ?? TOOL_DIRS;
  const [getfattr, setfattr] = await Promise.all([findTool('getfattr', dirs), findTool('setfattr', dirs)]);
  if (getfattr && setfattr) return toolsBackend(getfattr, setfattr, `xattrs: getfattr/setfattr (${why})`);
  return noneBackend(
    `xattrs are not read or written: ${why}, and getfattr/setfattr are missing (install Debian package attr)`,
  );
}

/** One line for the build log: which backend, and a warning when xattrs are dropped. */
export async function describeXattrSupport(opts: XattrBackendOptions = {}): Promise<{
  kind: XattrBackendKind;
  message: string;
}> {
  const b = await xattrBackend(opts);
  return { kind: b.kind, message: b.reason };
}

/** All public xattrs of a path, sorted by name; an empty map where the file system has none. */
export async function readXattrs(abs: string, backend?: XattrBackend): Promise<Map<string, Buffer>> {
  const b = backend ?? (await xattrBackend());
  const out = new Map<string, Buffer>();
  let names: string[];
  try {
    names = await b.list(abs);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (isPrivateXattr(name)) continue;
    const value = await b.get(abs, name).catch(() => null);
    if (value) out.set(name, Buffer.from(value));
  }
  return out;
}

/** Reads one xattr, null when absent. */
export async function readXattr(abs: string, name: string, backend?: XattrBackend): Promise<Buffer | null> {
  const b = backend ?? (await xattrBackend());
  try {
    return await b.get(abs, name);
  } catch {
    return null;
  }
}

/** Sets xattrs on a path without following a final symlink. */
export async function writeXattrs(
  abs: string,
  xattrs: ReadonlyMap<string, Buffer>,
  backend?: XattrBackend,
): Promise<void> {
  if (xattrs.size === 0) return;
  const b = backend ?? (await xattrBackend());
  for (const [name, value] of xattrs) await b.set(abs, name, value);
}

/** Removes one xattr without following a final symlink. */
export async function removeXattr(abs: string, name: string, backend?: XattrBackend): Promise<void> {
  const b = backend ?? (await xattrBackend());
  await b.remove(abs, name);
}

// Crafted hostile image layers (uncompressed tars), for the builder's extraction tests and for
// end-to-end tests that push them as base images. Built in memory by a tiny ustar/PAX encoder
// written here on purpose (independent of the builder's own tar writer). Every layer says what a
// safe extractor must do with it and which entry is at fault.
//
// `outside` is a path the layer tries to reach (absolute, on the host); nothing may appear there.
//
//   import { hostileLayers } from '.../testdata/hostile/hostile-layers.mjs';
//   for (const l of hostileLayers('/tmp/sentinel')) { l.name; l.tar; l.expect; l.entry; l.code }

const BLOCK = 512;

function header(name, { type = '0', size = 0, mode = 0o644, linkname = '' } = {}) {
  const buf = Buffer.alloc(BLOCK);
  const field = (text, offset, len) => buf.write(text, offset, len, 'latin1');
  const octal = (value, offset, len) => field(`${value.toString(8).padStart(len - 1, '0')}\0`, offset, len);
  field(name, 0, 100);
  octal(mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(1_600_000_000, 136, 12);
  field('        ', 148, 8);
  field(type, 156, 1);
  field(linkname, 157, 100);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const b of buf) sum += b;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return buf;
}

function pax(records) {
  const body = Buffer.concat(
    Object.entries(records).map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = rest.length + 1;
      while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
      return Buffer.from(`${len}${rest}`, 'latin1');
    }),
  );
  return [header('PaxHeader', { type: 'x', size: body.length }), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)];
}

function file(name, content = 'hostile\n', opts = {}) {
  const data = Buffer.from(content);
  const parts = [];
  let short = name;
  if (name.length > 99) {
    parts.push(...pax({ path: name }));
    short = 'long-name-placeholder';
  }
  parts.push(header(short, { size: data.length, ...opts }), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  return parts;
}

const symlink = (name, target) => [header(name, { type: '2', linkname: target })];
const hardlink = (name, target) => [header(name, { type: '1', linkname: target })];
const end = () => [Buffer.alloc(BLOCK * 2)];
const tar = (...parts) => Buffer.concat(parts.flat());

/**
 * @param {string} outside absolute host path of a sentinel directory the layers aim at
 * @returns {Array<{ name: string; tar: Buffer; expect: 'refused' | 'contained'; entry?: string; code?: string }>}
 */
export function hostileLayers(outside) {
  const up = '../'.repeat(12);
  const rel = outside.replace(/^\/+/, '');
  return [
    {
      name: 'path traversal with ..',
      tar: tar(file(`${up}${rel}/pwned-traversal`), end()),
      expect: 'refused',
      entry: `${up}${rel}/pwned-traversal`,
      code: 'UNSAFE_LAYER_ENTRY',
    },
    {
      name: 'traversal hidden behind a directory',
      tar: tar(file(`usr/${up}${rel}/pwned-hidden`), end()),
      expect: 'refused',
      entry: `usr/${up}${rel}/pwned-hidden`,
      code: 'UNSAFE_LAYER_ENTRY',
    },
    {
      name: 'absolute path',
      tar: tar(file(`${outside}/pwned-absolute`), end()),
      expect: 'contained',
    },
    {
      name: 'symlink escape (absolute target) written through',
      tar: tar(symlink('abs-link', outside), file('abs-link/pwned-symlink'), end()),
      expect: 'contained',
    },
    {
      name: 'symlink escape (relative target) written through',
      tar: tar(symlink('rel-link', `${up}${rel}`), file('rel-link/pwned-rel-symlink'), end()),
      expect: 'contained',
    },
    {
      name: 'symlinked parent directory several levels up',
      tar: tar(
        symlink('a', '.'),
        symlink('a/b', `${up}${rel}`),
        file('a/b/deeper/pwned-parent'),
        end(),
      ),
      expect: 'contained',
    },
    {
      name: 'symlink then file over the symlink',
      tar: tar(symlink('target', `${outside}/keep`), file('target', 'replaced\n'), end()),
      expect: 'contained',
    },
    {
      name: 'hardlink escape',
      tar: tar(hardlink('hl', `${up}${rel}/keep`), end()),
      expect: 'refused',
      entry: 'hl',
      code: 'UNSAFE_LAYER_ENTRY',
    },
    {
      name: 'hardlink through a symlink to the outside',
      tar: tar(symlink('out', outside), hardlink('hl-via-symlink', 'out/keep'), end()),
      expect: 'refused',
      entry: 'hl-via-symlink',
      code: 'INVALID_LAYER',
    },
    {
      name: 'whiteout escape',
      tar: tar(file(`${up}${rel}/.wh.keep`, ''), end()),
      expect: 'refused',
      entry: `${up}${rel}/.wh.keep`,
      code: 'UNSAFE_LAYER_ENTRY',
    },
    {
      name: 'opaque whiteout through a symlink',
      tar: tar(symlink('opq', outside), file('opq/.wh..wh..opq', ''), end()),
      expect: 'contained',
    },
    {
      name: 'giant size claimed, stream truncated',
      tar: tar(header('giant', { size: 2 ** 40 }), Buffer.from('only a few bytes')),
      expect: 'refused',
      entry: 'giant',
      code: 'INVALID_LAYER',
    },
    {
      name: 'giant size via PAX record, stream truncated',
      tar: tar(pax({ size: String(2 ** 50) }), header('giant-pax'), Buffer.alloc(BLOCK)),
      expect: 'refused',
      entry: 'giant-pax',
      code: 'INVALID_LAYER',
    },
  ];
}

import type { Chmod } from '@kaniko-ts/dockerfile';

/**
 * The mode a `--chmod` gives a copied entry. Octal modes replace the permission bits; symbolic modes
 * (`u=rwX,go=rX`, `+x`, `a-w`) are applied to the entry's current mode as chmod(1) does, with `X`
 * meaning execute only for directories or entries that already have an execute bit.
 */
export function applyChmod(chmod: Chmod, currentMode: number, isDirectory: boolean): number {
  const type = currentMode & ~0o7777;
  if (chmod.kind === 'octal') return type | (chmod.mode & 0o7777);
  let mode = currentMode & 0o7777;
  for (const clause of chmod.text.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!m) throw new Error(`invalid symbolic mode ${JSON.stringify(chmod.text)}`);
    const who = m[1] === '' || m[1]?.includes('a') ? 'ugo' : (m[1] as string);
    const op = m[2] as string;
    const perms = m[3] as string;
    let bits = 0;
    for (const w of who) {
      const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
      if (perms.includes('r')) bits |= 0o4 << shift;
      if (perms.includes('w')) bits |= 0o2 << shift;
      if (perms.includes('x') || (perms.includes('X') && (isDirectory || (currentMode & 0o111) !== 0)))
        bits |= 0o1 << shift;
      if (perms.includes('s') && w === 'u') bits |= 0o4000;
      if (perms.includes('s') && w === 'g') bits |= 0o2000;
      if (perms.includes('t')) bits |= 0o1000;
    }
    let whoMask = 0;
    for (const w of who) whoMask |= w === 'u' ? 0o4700 : w === 'g' ? 0o2070 : 0o1007;
    if (op === '+') mode |= bits;
    else if (op === '-') mode &= ~bits;
    else mode = (mode & ~whoMask) | bits;
  }
  return type | mode;
}

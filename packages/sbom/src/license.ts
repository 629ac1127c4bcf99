import { createRequire } from 'node:module';
import parseExpression from 'spdx-expression-parse';
import type { License } from './inventory.js';

const require = createRequire(import.meta.url);
const LICENSE_IDS: readonly string[] = require('spdx-license-ids/index.json');
const BY_LOWER = new Map(LICENSE_IDS.map((id) => [id.toLowerCase(), id]));

const ALIASES: Readonly<Record<string, string>> = {
  expat: 'MIT',
  'mit/x11': 'MIT',
  x11: 'X11',
  'apache 2.0': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  'apache 2': 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache software license': 'Apache-2.0',
  'bsd license': 'BSD-3-Clause',
  'new bsd license': 'BSD-3-Clause',
  psf: 'PSF-2.0',
  'psf-2': 'PSF-2.0',
  'python software foundation license': 'PSF-2.0',
  'mit license': 'MIT',
  'isc license': 'ISC',
  'isc license (iscl)': 'ISC',
  zlib: 'Zlib',
  'zlib/libpng': 'Zlib',
  'mpl-2': 'MPL-2.0',
  'mozilla public license 2.0 (mpl 2.0)': 'MPL-2.0',
  'public-domain': '',
};

/** True when `expression` is a syntactically valid SPDX license expression with known ids. */
export function isSpdxExpression(expression: string): boolean {
  if (!expression.trim()) return false;
  try {
    parseExpression(expression);
    return true;
  } catch {
    return false;
  }
}

/** Maps one license token (`GPL-2+`, `Expat`, `bsd-3-clause`, `MIT`) to an SPDX id, or undefined. */
function spdxIdFor(token: string): string | undefined {
  const t = token.trim();
  if (!t) return undefined;
  const direct = BY_LOWER.get(t.toLowerCase());
  if (direct) return direct;
  const alias = ALIASES[t.toLowerCase()];
  if (alias !== undefined) return alias || undefined;
  // Debian / Fedora style: GPL-2, GPL-2+, LGPL-2.1+, GPLv3+, GFDL-1.3+, AGPL-3
  const m = /^(A?GPL|LGPL|GFDL)[-v ]?(\d)(?:\.(\d))?(\+| or later|-or-later)?$/i.exec(t);
  if (m) {
    const family = m[1]!.toUpperCase();
    const major = m[2]!;
    const minor = m[3] ?? (family === 'LGPL' && major === '2' ? '0' : family === 'GFDL' && !m[3] ? '1' : '0');
    const id = `${family}-${major}.${minor}-${m[4] ? 'or-later' : 'only'}`;
    return BY_LOWER.get(id.toLowerCase());
  }
  const plus = /^(.*?)\+$/.exec(t);
  if (plus) {
    const base = BY_LOWER.get(plus[1]!.toLowerCase());
    if (base && isSpdxExpression(`${base}+`)) return `${base}+`;
  }
  return undefined;
}

/**
 * Turns a license string as a package declares it into a `License`: an SPDX expression when the
 * string is (or maps unambiguously to) one, otherwise the plain name. Returns undefined for empty,
 * `UNKNOWN` and `NOASSERTION`-like values.
 */
export function toLicense(raw: string | undefined): License | undefined {
  const value = raw?.trim();
  if (!value || /^(unknown|none|noassertion|unlicensed)$/i.test(value)) return undefined;
  if (isSpdxExpression(value)) return { expression: value };
  const single = spdxIdFor(value);
  if (single) return { expression: single };
  const parts = value.split(/\s+(or|and)\s+|\s*(,)\s*/i);
  if (parts.length > 1) {
    const out: string[] = [];
    let ok = true;
    for (let i = 0; i < parts.length; i += 3) {
      const id = spdxIdFor(parts[i] ?? '');
      if (!id) {
        ok = false;
        break;
      }
      out.push(id);
      const op = parts[i + 1] ?? (parts[i + 2] ? 'and' : undefined);
      if (op) out.push(op.toUpperCase());
    }
    const expr = out.join(' ');
    if (ok && isSpdxExpression(expr)) return { expression: out.length > 1 ? expr : expr };
  }
  return { name: value };
}

/** Adds `license` to `list` unless an equal one is present (keeps first-seen order). */
export function addLicense(list: License[], license: License | undefined): void {
  if (!license) return;
  const key = 'expression' in license ? `e:${license.expression}` : `n:${license.name}`;
  if (!list.some((l) => ('expression' in l ? `e:${l.expression}` : `n:${l.name}`) === key))
    list.push(license);
}

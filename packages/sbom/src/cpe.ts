/** Escapes one CPE 2.3 formatted-string attribute: everything but letters, digits, `_ - .` gets a backslash. */
export function cpeEscape(value: string): string {
  let out = '';
  for (const ch of value) out += /[A-Za-z0-9_.-]/.test(ch) ? ch : `\\${ch}`;
  return out;
}

/** `cpe:2.3:a:<vendor>:<product>:<version>:*:*:*:*:*:*:*` with escaped attributes. */
export function applicationCpe(vendor: string, product: string, version: string): string {
  const attr = (v: string) => cpeEscape(v.toLowerCase().replace(/\s+/g, '_'));
  return `cpe:2.3:a:${attr(vendor)}:${attr(product)}:${cpeEscape(version)}:*:*:*:*:*:*:*`;
}

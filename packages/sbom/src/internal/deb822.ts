/** Parses deb822 / RFC 822-style paragraphs (`Key: value`, continuation lines start with space or tab). */
export function parseParagraphs(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let lastKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) out.push(current);
      current = new Map();
      lastKey = undefined;
      continue;
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && lastKey) {
      current.set(lastKey, `${current.get(lastKey)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon).trim();
    current.set(lastKey, line.slice(colon + 1).trim());
  }
  if (current.size > 0) out.push(current);
  return out;
}

/** Header block of a Python METADATA / PKG-INFO file: repeated keys are kept as arrays. */
export function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let lastKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && lastKey) {
      const list = out.get(lastKey)!;
      list[list.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon).trim().toLowerCase();
    const list = out.get(lastKey) ?? [];
    list.push(line.slice(colon + 1).trim());
    out.set(lastKey, list);
  }
  return out;
}

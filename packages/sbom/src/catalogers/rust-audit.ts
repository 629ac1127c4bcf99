import { inflateSync } from 'node:zlib';
import type { Cataloger, FoundPackage } from '../cataloger.js';
import { formatPurl } from '../package-url.js';

const SECTIONS = ['.dep-v0', '.rust-deps-v0'] as const;
const MAX_JSON = 8 * 1024 * 1024;

interface AuditPackage {
  name?: unknown;
  version?: unknown;
  source?: unknown;
  kind?: unknown;
  root?: unknown;
}

/** Rust crates recorded by cargo-auditable in the `.dep-v0` section of an ELF executable. */
export const rustAuditCataloger: Cataloger = {
  name: 'cargo-auditable-binary',
  match(_path, info) {
    return info.type === 'file' && (info.mode & 0o111) !== 0 ? 'sections' : undefined;
  },
  async parse(path, _data, ctx) {
    const sections = await ctx.view.readSections(path, SECTIONS);
    const section = sections.get('.dep-v0') ?? sections.get('.rust-deps-v0');
    if (!section) return [];
    let doc: { packages?: AuditPackage[] };
    try {
      doc = JSON.parse(inflateSync(section, { maxOutputLength: MAX_JSON }).toString('utf8'));
    } catch {
      ctx.warn(`${path}: unreadable cargo-auditable section`);
      return [];
    }
    const out: FoundPackage[] = [];
    for (const p of doc.packages ?? []) {
      if (typeof p.name !== 'string' || typeof p.version !== 'string') continue;
      const metadata: Record<string, string> = {};
      if (typeof p.source === 'string') metadata.source = p.source;
      if (typeof p.kind === 'string') metadata.kind = p.kind;
      if (p.root === true) metadata.root = 'true';
      out.push({
        type: 'cargo',
        name: p.name,
        version: p.version,
        purl: formatPurl({ type: 'cargo', name: p.name, version: p.version }),
        cpes: [],
        licenses: [],
        evidence: [path],
        metadata,
      });
    }
    return out;
  },
};

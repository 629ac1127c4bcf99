/**
 * Applies the committed frames of a SQLite write-ahead log to a copy of the database bytes, so the
 * result can be opened with `deserialize` (which cannot read a `-wal` file). Frames after the last
 * commit and frames of an older WAL generation (salt mismatch) are ignored.
 */
export function applyWal(db: Uint8Array, wal: Uint8Array): Uint8Array {
  const copy = () => new Uint8Array(db);
  if (wal.length < 32) return copy();
  const wv = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = wv.getUint32(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return copy();
  const pageSize = wv.getUint32(8) || 65536;
  const salt1 = wv.getUint32(16);
  const salt2 = wv.getUint32(20);
  const pending = new Map<number, Uint8Array>();
  const committed = new Map<number, Uint8Array>();
  let dbPages = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wv.getUint32(at + 8) !== salt1 || wv.getUint32(at + 12) !== salt2) break;
    const page = wv.getUint32(at);
    pending.set(page, wal.subarray(at + 24, at + 24 + pageSize));
    const commitSize = wv.getUint32(at + 4);
    if (commitSize > 0) {
      for (const [p, data] of pending) committed.set(p, data);
      pending.clear();
      dbPages = commitSize;
    }
  }
  if (committed.size === 0) return copy();
  const out = new Uint8Array(dbPages * pageSize);
  out.set(db.subarray(0, Math.min(db.length, out.length)));
  for (const [page, data] of committed)
    if (page >= 1 && page <= dbPages) out.set(data, (page - 1) * pageSize);
  // File format read/write versions 2 (WAL) → 1 (rollback journal), as deserialize needs.
  out[18] = 1;
  out[19] = 1;
  return out;
}

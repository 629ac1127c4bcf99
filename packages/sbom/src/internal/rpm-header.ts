/** Tags read from an RPM header blob (rpmtag.h). */
export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  MODULARITYLABEL: 5096,
} as const;

export type RpmValue = string | number | string[] | number[];

/**
 * Parses an RPM header blob as stored in rpmdb (`il`, `dl`, index entries, data store; big-endian).
 * Returns tag → value for string, string-array, i18n-string and integer types.
 */
export function parseRpmHeader(blob: Uint8Array): Map<number, RpmValue> {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Map<number, RpmValue>();
  if (blob.length < 8) return out;
  const il = dv.getUint32(0);
  const dl = dv.getUint32(4);
  const dataStart = 8 + il * 16;
  if (il > 0xffff || dataStart + dl > blob.length) return out;
  const readString = (offset: number): [string, number] => {
    let end = offset;
    while (end < dataStart + dl && blob[end] !== 0) end++;
    return [Buffer.from(blob.subarray(offset, end)).toString('utf8'), end + 1];
  };
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = dv.getInt32(e);
    const type = dv.getUint32(e + 4);
    const offset = dataStart + dv.getInt32(e + 8);
    const count = dv.getUint32(e + 12);
    if (offset < dataStart || offset >= dataStart + dl) continue;
    switch (type) {
      case 6: // STRING
        out.set(tag, readString(offset)[0]);
        break;
      case 8: // STRING_ARRAY
      case 9: {
        // I18NSTRING: first is the C locale
        const list: string[] = [];
        let at = offset;
        for (let n = 0; n < count && at < dataStart + dl; n++) {
          const [s, next] = readString(at);
          list.push(s);
          at = next;
        }
        out.set(tag, type === 9 ? (list[0] ?? '') : list);
        break;
      }
      case 4: {
        // INT32
        const list: number[] = [];
        for (let n = 0; n < count && offset + n * 4 + 4 <= dataStart + dl; n++)
          list.push(dv.getUint32(offset + n * 4));
        out.set(tag, count === 1 ? (list[0] ?? 0) : list);
        break;
      }
      case 3: {
        // INT16
        const list: number[] = [];
        for (let n = 0; n < count && offset + n * 2 + 2 <= dataStart + dl; n++)
          list.push(dv.getUint16(offset + n * 2));
        out.set(tag, count === 1 ? (list[0] ?? 0) : list);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** RFC 3339 in UTC without fractional seconds when they are zero (Go's `time.Time` JSON style). */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Seconds since the Unix epoch (SOURCE_DATE_EPOCH style) or a Date → Date. */
export function toDate(time: Date | number): Date {
  return typeof time === 'number' ? new Date(time * 1000) : time;
}

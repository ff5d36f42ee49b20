/**
 * Times inside the generator are integer microseconds since the epoch (2 years of µs fit easily in
 * a double). They are printed the way Go's time.RFC3339Nano does: UTC, fractional digits with
 * trailing zeros trimmed (and no dot at all when the fraction is zero).
 */

export function formatUs(us: number, extraNanos?: number): string {
  const ms = Math.floor(us / 1000);
  const subMs = us - ms * 1000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  let frac = iso.slice(20, 23) + String(subMs).padStart(3, '0');
  if (extraNanos !== undefined) frac += String(extraNanos).padStart(3, '0');
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return end === 0 ? iso.slice(0, 19) + 'Z' : `${iso.slice(0, 19)}.${frac.slice(0, end)}Z`;
}

/** Parse RFC3339 (any fractional precision, `Z` or ±hh:mm offset) to microseconds. NaN if invalid. */
export function parseTimeUs(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(s);
  if (!m) return Number.NaN;
  const ms = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(ms)) return Number.NaN;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
}

export function msToUs(ms: number): number {
  return Math.round(ms) * 1000;
}

export const US_PER_SECOND = 1_000_000;
export const US_PER_MINUTE = 60 * US_PER_SECOND;
export const US_PER_HOUR = 60 * US_PER_MINUTE;
export const US_PER_DAY = 24 * US_PER_HOUR;

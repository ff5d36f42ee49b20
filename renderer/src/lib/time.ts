/** Display helpers. Times arrive as ISO UTC strings; the user picks the zone in Settings. */
const cache = new Map<string, Intl.DateTimeFormat>();

function fmt(zone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = zone + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone: zone === 'local' ? undefined : zone });
    cache.set(key, f);
  }
  return f;
}

export function formatDateTime(iso: string | null | undefined, zone = 'local'): string {
  if (!iso) return '—';
  return fmt(zone, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

export function formatTime(iso: string, zone = 'local'): string {
  return fmt(zone, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

export function formatDay(iso: string, zone = 'local'): string {
  return fmt(zone, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(iso));
}

/** A key that changes exactly when the displayed calendar day changes (in the display zone). */
export function dayKey(iso: string, zone = 'local'): string {
  return fmt(zone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat().format(n);
}

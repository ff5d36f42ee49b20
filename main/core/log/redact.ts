/**
 * The logger's second line of defence: code should never hand a secret to the logger, but if it
 * does (an SDK error object carrying request headers, a careless message), the value is replaced
 * with "[redacted]" before anything is written.
 *
 * Two rules:
 * 1. exact values registered with `registerSecret` (called wherever a secret is read from the
 *    user or the keychain), in raw, JSON-escaped and URL-encoded spellings;
 * 2. shapes: JWTs (Stream server tokens are derived from the secret and just as powerful), and
 *    long high-entropy tokens right after words like secret / api_secret / password / token /
 *    Authorization; plus any string field whose key names such a thing.
 */

export const REDACTED = '[redacted]';

/** Shorter values would blank out ordinary words in every log line. Stream secrets are 64 chars. */
const MIN_SECRET_LENGTH = 6;

const registered = new Set<string>();
let ordered: string[] = [];

/** Remember a secret's exact value so that it never appears in any log line of this process. */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH) return;
  const spellings = [v, value, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)];
  let added = false;
  for (const s of spellings) {
    if (s.length >= MIN_SECRET_LENGTH && !registered.has(s)) {
      registered.add(s);
      added = true;
    }
  }
  // Longest first, so that a secret containing another is replaced whole.
  if (added) ordered = [...registered].sort((a, b) => b.length - a.length);
}

/** For tests: forget every registered secret. */
export function clearRegisteredSecrets(): void {
  registered.clear();
  ordered = [];
}

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{10,}/g;
const KEYED =
  /((?:api[_-]?secret|client[_-]?secret|app[_-]?secret|secret|password|passwd|pwd|passphrase|api[_-]?token|access[_-]?token|auth[_-]?token|token|authorization)["']?\s*[:=]\s*["']?(?:Bearer\s+|Basic\s+)?)([A-Za-z0-9+/_\-.~=]{16,})/gi;

/** Bits per character; random keys score ~4 and above, words and ids lower. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export function redact(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  out = out.replace(JWT, REDACTED);
  out = out.replace(KEYED, (match, prefix: string, token: string) => (entropy(token) >= 3 ? prefix + REDACTED : match));
  return out;
}

/** Field names whose string values are secrets whatever they look like (not `*_at` timestamps). */
const SENSITIVE_KEY = /secret|password|passwd|passphrase|authorization|cookie|jwt|(^|_|-)token$|^token|apitoken/i;

/**
 * A plain, JSON-safe copy of `value` with sensitive fields blanked and every string passed through
 * `redact`. Errors keep name/message/code/kind/status/stack only (an HTTP client's error also
 * carries the request, headers included); cycles, depth and width are bounded.
 */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > 6) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; kind?: unknown; status?: unknown };
    return redactValue({ name: e.name, message: e.message, code: e.code, kind: e.kind, status: e.status, stack: e.stack }, depth + 1, seen);
  }
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 100)) {
    out[k] = typeof v === 'string' && SENSITIVE_KEY.test(k) && !/_at$/.test(k) ? REDACTED : redactValue(v, depth + 1, seen);
  }
  return out;
}

/**
 * Client-side rate limiter shared by everything that talks to one Stream app (the export client,
 * the jobs engine). Stream limits each endpoint per app over a 1-minute window and, within it,
 * per second at limit/30 (spec §4.2). We keep a sliding log of our own requests per endpoint and
 * only let a request go when both sliding windows have room: a sliding window is stricter than any
 * fixed window the server may use.
 *
 * Network jitter could still squeeze two of our requests into one server window (one sent early
 * but delayed on a fresh TLS connection, one sent later on a warm one). So a request is logged at
 * the time its answer (or failure) came back — by then it has certainly arrived — and while it is
 * in flight it counts as "now". That makes "our own traffic never causes a 429" hold whatever the
 * latency, at the cost of one round trip per burst.
 *
 * It also learns from the server: `X-RateLimit-Limit` replaces the configured limit, and
 * `X-RateLimit-Remaining: 0` or a 429 blocks the endpoint until `X-RateLimit-Reset`.
 */

export interface EndpointLimit {
  /** Requests per window (Stream's per-minute figure). */
  perMinute: number;
  /** Requests per burst window; default ceil(perMinute / 30). */
  perSecond?: number;
  /** Window lengths; 60 s and 1 s unless scaled (tests). */
  windowMs?: number;
  burstWindowMs?: number;
}

/**
 * Stream's documented self-serve defaults. GetTask / the export status route are not documented
 * (spec §9.6): we start conservatively at 120/min and adopt the server's X-RateLimit-Limit.
 */
export const DEFAULT_ENDPOINT_LIMITS: Record<string, EndpointLimit> = {
  ExportChannels: { perMinute: 60 },
  ExportUsers: { perMinute: 60 },
  ExportUser: { perMinute: 60 },
  GetExportChannelsStatus: { perMinute: 120 },
  GetTask: { perMinute: 120 },
  QueryChannels: { perMinute: 10_000 },
  QueryUsers: { perMinute: 1_000 },
  GetRateLimits: { perMinute: 1_000 },
};

export interface RateLimiterOptions {
  limits?: Record<string, EndpointLimit>;
  /** Scale every endpoint's windows (tests); per-endpoint values win. */
  windowMs?: number;
  burstWindowMs?: number;
  /** Extra spacing for clock granularity (ms); default 5. */
  safetyMs?: number;
  /** Learn limits from X-RateLimit-Limit (default true). */
  learn?: boolean;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface EndpointState {
  limit: Required<EndpointLimit>;
  /** Completion times of finished requests, ascending. */
  done: number[];
  /** Requests granted and not finished yet. */
  inFlight: number;
  blockedUntil: number;
  tail: Promise<void>;
  granted: number;
  waitedMs: number;
  /** Wakes waiters when a request finishes or a block changes. */
  wake: () => void;
  changed: Promise<void>;
}

/** Call when the request's answer (or failure) has come back. Idempotent. */
export type ReleaseSlot = () => void;

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  let v: unknown = typeof h.get === 'function' ? h.get(name) : undefined;
  if (v === undefined || v === null) {
    const key = Object.keys(h).find((k) => k.toLowerCase() === name);
    v = key === undefined ? undefined : h[key];
  }
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  // Some proxies join repeated headers ("60, 60"): take the first non-empty value.
  return String(v).split(',').map((s) => s.trim()).find(Boolean);
}

/** Parses X-RateLimit-* headers (any case; axios lowercases them). */
export function readRateLimitHeaders(headers: unknown): { limit?: number; remaining?: number; resetMs?: number } {
  const num = (n: string) => {
    const v = header(headers, n);
    const x = v === undefined ? Number.NaN : Number(v);
    return Number.isFinite(x) ? x : undefined;
  };
  const reset = num('x-ratelimit-reset');
  return { limit: num('x-ratelimit-limit'), remaining: num('x-ratelimit-remaining'), resetMs: reset === undefined ? undefined : reset * 1000 };
}

export class RateLimiter {
  private states = new Map<string, EndpointState>();
  private opts: RateLimiterOptions;
  private now: () => number;
  private sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: RateLimiterOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
  }

  private resolve(endpoint: string, l: EndpointLimit): Required<EndpointLimit> {
    const windowMs = l.windowMs ?? this.opts.windowMs ?? 60_000;
    return {
      perMinute: l.perMinute,
      perSecond: l.perSecond ?? Math.max(1, Math.ceil(l.perMinute / 30)),
      windowMs,
      burstWindowMs: l.burstWindowMs ?? this.opts.burstWindowMs ?? Math.round(windowMs / 60),
    };
  }

  private state(endpoint: string): EndpointState {
    let s = this.states.get(endpoint);
    if (!s) {
      const configured = this.opts.limits?.[endpoint] ?? DEFAULT_ENDPOINT_LIMITS[endpoint] ?? { perMinute: 60 };
      s = { limit: this.resolve(endpoint, configured), done: [], inFlight: 0, blockedUntil: 0, tail: Promise.resolve(), granted: 0, waitedMs: 0, wake: () => {}, changed: Promise.resolve() };
      this.renew(s);
      this.states.set(endpoint, s);
    }
    return s;
  }

  configure(endpoint: string, limit: EndpointLimit): void {
    this.state(endpoint).limit = this.resolve(endpoint, limit);
  }

  limit(endpoint: string): Required<EndpointLimit> {
    return { ...this.state(endpoint).limit };
  }

  private renew(s: EndpointState): void {
    s.changed = new Promise<void>((resolve) => {
      s.wake = resolve;
    });
  }

  private margin(): number {
    return this.opts.safetyMs ?? 5;
  }

  /** Earliest time (ms) a new request may go; Infinity while it depends on a request in flight. */
  private nextSlot(s: EndpointState, now: number): number {
    const { perMinute, perSecond, windowMs, burstWindowMs } = s.limit;
    const margin = this.margin();
    // Forget requests that no longer matter for either window.
    const horizon = now - windowMs - margin;
    let drop = 0;
    while (drop < s.done.length && s.done[drop] <= horizon) drop++;
    if (drop) s.done.splice(0, drop);
    let t = Math.max(now, s.blockedUntil);
    // In-flight requests are the most recent ones; the k-th most recent finished one follows.
    const kth = (k: number) => (k <= s.inFlight ? Number.POSITIVE_INFINITY : s.done[s.done.length - (k - s.inFlight)]);
    if (s.inFlight + s.done.length >= perMinute) t = Math.max(t, kth(perMinute) + windowMs + margin);
    if (s.inFlight + s.done.length >= perSecond) t = Math.max(t, kth(perSecond) + burstWindowMs + margin);
    return t;
  }

  /**
   * Wait for a slot on `endpoint` and claim it; call the returned function when the request's
   * answer (or error) is back. Callers are served in order (FIFO per endpoint). Rejects if
   * `signal` aborts while waiting (the slot is then not used).
   */
  acquire(endpoint: string, signal?: AbortSignal): Promise<ReleaseSlot> {
    const s = this.state(endpoint);
    const run = async (): Promise<ReleaseSlot> => {
      const started = this.now();
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const now = this.now();
        const at = this.nextSlot(s, now);
        if (at <= now) {
          s.inFlight++;
          s.granted++;
          s.waitedMs += now - started;
          let released = false;
          return () => {
            if (released) return;
            released = true;
            s.inFlight--;
            const t = this.now();
            // Keep the log sorted (completions can come back out of order).
            let i = s.done.length;
            while (i > 0 && s.done[i - 1] > t) i--;
            s.done.splice(i, 0, t);
            const wake = s.wake;
            this.renew(s);
            wake();
          };
        }
        const changed = s.changed;
        const wait = Number.isFinite(at) ? at - now : 60_000;
        const ac = new AbortController();
        const onAbort = () => ac.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await Promise.race([this.sleep(wait, ac.signal), changed]);
        } catch (err) {
          if (signal?.aborted) throw signal.reason ?? err;
        } finally {
          signal?.removeEventListener('abort', onAbort);
          ac.abort();
        }
      }
    };
    const p = s.tail.then(run);
    s.tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** No request on `endpoint` before `untilMs` (a 429 or Remaining: 0 told us so). */
  block(endpoint: string, untilMs: number): void {
    const s = this.state(endpoint);
    if (untilMs <= s.blockedUntil) return;
    s.blockedUntil = untilMs;
    const wake = s.wake;
    this.renew(s);
    wake();
  }

  /** Learn from a response's X-RateLimit-* headers. */
  observe(endpoint: string, headers: unknown, status?: number): void {
    const h = readRateLimitHeaders(headers);
    const s = this.state(endpoint);
    if (this.opts.learn !== false && h.limit !== undefined && h.limit > 0 && h.limit !== s.limit.perMinute) {
      s.limit = this.resolve(endpoint, { perMinute: h.limit, windowMs: s.limit.windowMs, burstWindowMs: s.limit.burstWindowMs });
    }
    const now = this.now();
    if (h.resetMs !== undefined && h.resetMs > now && (status === 429 || h.remaining === 0)) {
      // Reset has 1 s granularity; never wait absurdly long because of a skewed clock.
      this.block(endpoint, Math.min(h.resetMs, now + s.limit.windowMs + 1000));
    }
  }

  stats(): Record<string, { granted: number; waitedMs: number; blockedUntil: number; limit: Required<EndpointLimit> }> {
    const out: Record<string, { granted: number; waitedMs: number; blockedUntil: number; limit: Required<EndpointLimit> }> = {};
    for (const [k, s] of this.states) out[k] = { granted: s.granted, waitedMs: s.waitedMs, blockedUntil: s.blockedUntil, limit: { ...s.limit } };
    return out;
  }
}

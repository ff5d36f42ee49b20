/**
 * Server-side rate limits as Stream documents them (spec §4.2): per endpoint, a fixed 1-minute
 * window plus a per-second burst of limit/30, with X-RateLimit-Limit/Remaining/Reset (epoch
 * seconds) on every response. Windows are scalable for tests (`windowMs`, `burstWindowMs`).
 * Every request that reaches the limiter counts, including ones answered 429; a request arriving
 * when a window is already full is a *violation* and gets 429 code 9.
 */

export interface LimitConfig {
  /** Requests per window (the documented per-minute limit). */
  limit: number;
  windowMs?: number;
  /** Requests per burst window; default ceil(limit / 30) (2/s for 60/min). */
  burst?: number;
  burstWindowMs?: number;
}

export type EndpointName =
  | 'QueryChannels'
  | 'QueryUsers'
  | 'ExportChannels'
  | 'GetExportChannelsStatus'
  | 'ExportUsers'
  | 'ExportUser'
  | 'GetTask'
  | 'GetRateLimits';

export const ENDPOINTS: readonly EndpointName[] = [
  'QueryChannels', 'QueryUsers', 'ExportChannels', 'GetExportChannelsStatus', 'ExportUsers', 'ExportUser', 'GetTask', 'GetRateLimits',
];

/**
 * Defaults: the documented self-serve limits where Stream lists them; GetTask and the export
 * status route are not documented (spec §9.6) — we assume 600/min (burst 20/s).
 */
export const DEFAULT_LIMITS: Record<EndpointName, LimitConfig> = {
  QueryChannels: { limit: 10_000 },
  QueryUsers: { limit: 1_000 },
  ExportChannels: { limit: 60 },
  ExportUsers: { limit: 60 },
  ExportUser: { limit: 60 },
  GetExportChannelsStatus: { limit: 600 },
  GetTask: { limit: 600 },
  GetRateLimits: { limit: 1_000 },
};

interface WindowState {
  start: number;
  count: number;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the minute window resets; on a refusal, when a retry can succeed. */
  resetS: number;
  /** When the caller may retry (ms epoch). */
  retryAtMs: number;
}

export class ServerRateLimiter {
  private configs: Record<string, Required<LimitConfig>> = {};
  private minute = new Map<string, WindowState>();
  private burst = new Map<string, WindowState>();
  readonly requests: Record<string, number> = {};
  readonly violations: Record<string, number> = {};

  constructor(overrides: Partial<Record<EndpointName, LimitConfig>> = {}, defaults: { windowMs?: number; burstWindowMs?: number } = {}) {
    for (const e of ENDPOINTS) this.set(e, { ...DEFAULT_LIMITS[e], windowMs: defaults.windowMs, burstWindowMs: defaults.burstWindowMs, ...overrides[e] });
  }

  set(endpoint: EndpointName, cfg: LimitConfig): void {
    const windowMs = cfg.windowMs ?? 60_000;
    this.configs[endpoint] = {
      limit: cfg.limit,
      windowMs,
      burst: cfg.burst ?? Math.max(1, Math.ceil(cfg.limit / 30)),
      burstWindowMs: cfg.burstWindowMs ?? Math.round(windowMs / 60),
    };
    this.minute.delete(endpoint);
    this.burst.delete(endpoint);
  }

  config(endpoint: EndpointName): Required<LimitConfig> {
    return this.configs[endpoint];
  }

  private window(map: Map<string, WindowState>, endpoint: string, size: number, now: number): WindowState {
    const start = Math.floor(now / size) * size;
    let w = map.get(endpoint);
    if (!w || w.start !== start) map.set(endpoint, (w = { start, count: 0 }));
    return w;
  }

  /** Count a request and decide (consume = false: only report the current state). */
  hit(endpoint: EndpointName, now: number, consume = true): LimitDecision {
    const cfg = this.configs[endpoint];
    const m = this.window(this.minute, endpoint, cfg.windowMs, now);
    const b = this.window(this.burst, endpoint, cfg.burstWindowMs, now);
    const mReset = m.start + cfg.windowMs;
    const bReset = b.start + cfg.burstWindowMs;
    if (!consume) return { allowed: true, limit: cfg.limit, remaining: Math.max(0, cfg.limit - m.count), resetS: Math.ceil(mReset / 1000), retryAtMs: now };
    this.requests[endpoint] = (this.requests[endpoint] ?? 0) + 1;
    const overMinute = m.count >= cfg.limit;
    const overBurst = b.count >= cfg.burst;
    m.count++;
    b.count++;
    if (overMinute || overBurst) {
      this.violations[endpoint] = (this.violations[endpoint] ?? 0) + 1;
      const retryAtMs = overMinute ? mReset : bReset;
      return { allowed: false, limit: cfg.limit, remaining: 0, resetS: Math.ceil(retryAtMs / 1000), retryAtMs };
    }
    return { allowed: true, limit: cfg.limit, remaining: Math.max(0, cfg.limit - m.count), resetS: Math.ceil(mReset / 1000), retryAtMs: now };
  }

  reset(): void {
    this.minute.clear();
    this.burst.clear();
    for (const k of Object.keys(this.requests)) delete this.requests[k];
    for (const k of Object.keys(this.violations)) delete this.violations[k];
  }
}

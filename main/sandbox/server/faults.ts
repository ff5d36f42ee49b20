/**
 * Faults on demand. A spec string is a comma-separated list of `kind[:param=value]…`, e.g.
 *   429:for=5s                      every export request answered 429 for 5 s (a storm)
 *   5xx:rate=0.2:status=503         20% of API requests answered 503
 *   slow:delay=4s:count=2           the next 2 API requests wait 4 s before answering
 *   hangup:every=5                  every 5th API request: socket destroyed, no response
 *   fail-task:count=1               the next export task ends `failed`
 *   drop:count=1:bytes=4096         next download: connection destroyed after 4096 bytes
 *   truncate:count=1:fraction=0.5   next download: ends cleanly after half the file (chunked)
 *   expire:ttl=2s                   download URLs expire 2 s after being minted
 * Common params: rate (0..1, seeded), count (first N matches), every (every Nth), after/for
 * (durations from when the fault was added), endpoints (names joined with `|`). Without
 * rate/count/every a fault applies to every matching request while active.
 */
import { Rng } from '../data/prng.ts';

export type FaultKind = '429' | '5xx' | 'slow' | 'hangup' | 'fail-task' | 'drop' | 'truncate' | 'expire';
export const FAULT_KINDS: readonly FaultKind[] = ['429', '5xx', 'slow', 'hangup', 'fail-task', 'drop', 'truncate', 'expire'];

export interface FaultSpec {
  kind: FaultKind;
  /** Endpoint names this applies to (`Download` for files); default depends on the kind. */
  endpoints?: string[];
  rate?: number;
  count?: number;
  every?: number;
  afterMs?: number;
  forMs?: number;
  /** 5xx: HTTP status (default 500). */
  status?: number;
  /** slow: delay in ms (default 5000). */
  delayMs?: number;
  /** drop/truncate: cut after this many bytes … */
  bytes?: number;
  /** … or after this fraction of the file (default 0.5). */
  fraction?: number;
  /** expire: URL lifetime in ms (default 1000). */
  ttlMs?: number;
  /** 429/5xx: false sends a non-JSON body, like Stream's edge does (default true). */
  json?: boolean;
}

const DEFAULT_ENDPOINTS: Record<FaultKind, string[] | undefined> = {
  '429': ['ExportChannels', 'ExportUsers'],
  '5xx': undefined, // every API endpoint
  slow: undefined,
  hangup: undefined,
  'fail-task': ['ExportChannels', 'ExportUsers'],
  drop: ['Download'],
  truncate: ['Download'],
  expire: ['Download'],
};

export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`invalid duration "${v}" (use e.g. 500ms, 5s, 2m, 1h, 60d)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!);
}

export function parseFaults(spec: string): FaultSpec[] {
  const out: FaultSpec[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [kindRaw, ...params] = raw.split(/[:;]/);
    const kind = kindRaw.trim() as FaultKind;
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault "${kindRaw}" (known: ${FAULT_KINDS.join(', ')})`);
    const f: FaultSpec = { kind };
    for (const p of params) {
      if (!p.trim()) continue;
      const eq = p.indexOf('=');
      if (eq < 0) throw new Error(`fault "${raw}": parameter "${p}" needs a value (name=value)`);
      const key = p.slice(0, eq).trim();
      const val = p.slice(eq + 1).trim();
      const num = () => {
        const n = Number(val);
        if (!Number.isFinite(n)) throw new Error(`fault "${raw}": ${key} must be a number`);
        return n;
      };
      switch (key) {
        case 'rate': f.rate = num(); break;
        case 'count': f.count = num(); break;
        case 'every': f.every = num(); break;
        case 'after': f.afterMs = parseDuration(val); break;
        case 'for': f.forMs = parseDuration(val); break;
        case 'status': f.status = num(); break;
        case 'delay': f.delayMs = parseDuration(val); break;
        case 'bytes': f.bytes = num(); break;
        case 'fraction': f.fraction = num(); break;
        case 'ttl': f.ttlMs = parseDuration(val); break;
        case 'json': f.json = val !== 'false' && val !== '0'; break;
        case 'endpoints': f.endpoints = val.split('|').map((s) => s.trim()).filter(Boolean); break;
        default: throw new Error(`fault "${raw}": unknown parameter "${key}"`);
      }
    }
    out.push(f);
  }
  return out;
}

export class Fault {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly addedAt: number;
  seen = 0;
  hits = 0;
  private rng: Rng;

  constructor(id: number, spec: FaultSpec, now: number, seed: number) {
    this.id = id;
    this.spec = { ...spec, endpoints: spec.endpoints ?? DEFAULT_ENDPOINTS[spec.kind] };
    this.addedAt = now;
    this.rng = new Rng(seed, 0xfa, id);
  }

  /** Whether this fault still can fire at `now`. */
  live(now: number): boolean {
    const s = this.spec;
    if (s.count !== undefined && this.hits >= s.count) return false;
    if (s.forMs !== undefined && now >= this.addedAt + (s.afterMs ?? 0) + s.forMs) return false;
    return true;
  }

  /** Until when (ms) this fault is active, if time-bounded. */
  activeUntil(): number | undefined {
    return this.spec.forMs === undefined ? undefined : this.addedAt + (this.spec.afterMs ?? 0) + this.spec.forMs;
  }

  applies(endpoint: string, now: number): boolean {
    const s = this.spec;
    if (s.endpoints ? !s.endpoints.includes(endpoint) : endpoint === 'Download') return false;
    if (s.afterMs !== undefined && now < this.addedAt + s.afterMs) return false;
    if (!this.live(now)) return false;
    this.seen++;
    let fire = true;
    if (s.every !== undefined) fire = this.seen % s.every === 0;
    if (fire && s.rate !== undefined) fire = this.rng.next() < s.rate;
    if (fire) this.hits++;
    return fire;
  }
}

export class FaultSet {
  private faults: Fault[] = [];
  private nextId = 1;
  private seed: number;
  constructor(seed: number) {
    this.seed = seed;
  }
  add(spec: FaultSpec | string, now: number): Fault[] {
    const specs = typeof spec === 'string' ? parseFaults(spec) : [spec];
    const added = specs.map((s) => new Fault(this.nextId++, s, now, this.seed));
    this.faults.push(...added);
    return added;
  }
  remove(id: number): void {
    this.faults = this.faults.filter((f) => f.id !== id);
  }
  clear(): void {
    this.faults = [];
  }
  list(): Fault[] {
    return [...this.faults];
  }
  /** The first fault of `kind` that fires for this event (each call counts as one event). */
  take(kind: FaultKind, endpoint: string, now: number): Fault | undefined {
    for (const f of this.faults) if (f.spec.kind === kind && f.applies(endpoint, now)) return f;
    return undefined;
  }
}

/**
 * Mongo-style filters and sorts for QueryChannels and QueryUsers, as Stream accepts them:
 * `{field: value}` (= $eq), `{field: {$eq|$ne|$in|$nin|$gt|$gte|$lt|$lte|$exists|$autocomplete|$contains: …}}`
 * and `$and`/`$or`/`$nor`. Time fields compare as instants (any RFC3339 precision).
 */
import { parseTimeUs } from '../data/time.ts';

export class QueryError extends Error {
  field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

const TIME_FIELDS = new Set([
  'created_at', 'updated_at', 'last_message_at', 'last_updated', 'deleted_at', 'truncated_at', 'last_active', 'deactivated_at',
]);

type Getter = (obj: Record<string, unknown>, field: string) => unknown;

function norm(field: string, v: unknown): unknown {
  if (TIME_FIELDS.has(field) && typeof v === 'string') {
    const us = parseTimeUs(v);
    if (Number.isNaN(us)) throw new QueryError(`field "${field}" expects an RFC3339 time, got "${v}"`, field);
    return us;
  }
  return v;
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function eq(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) {
    if (Array.isArray(expected)) {
      // Array equality as sets (e.g. members: exact membership).
      return actual.length === expected.length && expected.every((e) => actual.includes(e));
    }
    return actual.includes(expected);
  }
  return actual === expected;
}

function matchOps(actual: unknown, field: string, cond: unknown): boolean {
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) return eq(actual, norm(field, cond));
  for (const [op, raw] of Object.entries(cond as Record<string, unknown>)) {
    const v = Array.isArray(raw) ? raw.map((x) => norm(field, x)) : norm(field, raw);
    const present = actual !== undefined && actual !== null;
    switch (op) {
      case '$eq': if (!eq(actual, v)) return false; break;
      case '$ne': if (eq(actual, v)) return false; break;
      case '$in':
        if (!Array.isArray(v)) throw new QueryError(`operator $in on "${field}" expects an array`, field);
        if (!v.some((x) => eq(actual, x))) return false;
        break;
      case '$nin':
        if (!Array.isArray(v)) throw new QueryError(`operator $nin on "${field}" expects an array`, field);
        if (v.some((x) => eq(actual, x))) return false;
        break;
      case '$gt': if (!present || cmp(actual, v) <= 0) return false; break;
      case '$gte': if (!present || cmp(actual, v) < 0) return false; break;
      case '$lt': if (!present || cmp(actual, v) >= 0) return false; break;
      case '$lte': if (!present || cmp(actual, v) > 0) return false; break;
      case '$exists': if (present !== Boolean(v)) return false; break;
      case '$contains': if (!Array.isArray(actual) || !actual.includes(v)) return false; break;
      case '$autocomplete': {
        const needle = String(v).toLowerCase();
        const words = String(actual ?? '').toLowerCase().split(/[\s._-]+/);
        if (!words.some((w) => w.startsWith(needle)) && !String(actual ?? '').toLowerCase().startsWith(needle)) return false;
        break;
      }
      case '$q': if (!String(actual ?? '').toLowerCase().includes(String(v).toLowerCase())) return false; break;
      default: throw new QueryError(`operator ${op} is not supported on field "${field}"`, field);
    }
  }
  return true;
}

export function matchFilter(obj: Record<string, unknown>, filter: unknown, get: Getter): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw new QueryError('filter_conditions must be an object', 'filter_conditions');
  for (const [key, cond] of Object.entries(filter as Record<string, unknown>)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(cond)) throw new QueryError(`${key} expects an array of filters`, key);
      const results = cond.map((c) => matchFilter(obj, c, get));
      if (key === '$and' && !results.every(Boolean)) return false;
      if (key === '$or' && !results.some(Boolean)) return false;
      if (key === '$nor' && results.some(Boolean)) return false;
      continue;
    }
    if (key.startsWith('$')) throw new QueryError(`operator ${key} is not supported at the top level`, key);
    if (!matchOps(norm(key, get(obj, key)), key, cond)) return false;
  }
  return true;
}

export interface SortParam {
  field: string;
  direction: number;
}

/** Accepts `[{field, direction}]` (wire format) or `{field: dir}`; at most 5 entries. */
export function parseSort(raw: unknown, fallback: SortParam[]): SortParam[] {
  if (raw === undefined || raw === null) return fallback;
  const list: SortParam[] = [];
  if (Array.isArray(raw)) {
    for (const s of raw) {
      if (!s || typeof s !== 'object' || typeof (s as SortParam).field !== 'string') throw new QueryError('sort entries need a field and a direction', 'sort');
      const d = Number((s as SortParam).direction ?? 1);
      if (d !== 1 && d !== -1) throw new QueryError('sort direction must be 1 or -1', 'sort');
      list.push({ field: (s as SortParam).field, direction: d });
    }
  } else if (typeof raw === 'object') {
    for (const [field, d] of Object.entries(raw as Record<string, unknown>)) list.push({ field, direction: Number(d) === -1 ? -1 : 1 });
  } else throw new QueryError('sort must be an array', 'sort');
  if (list.length > 5) throw new QueryError('sort accepts at most 5 fields', 'sort');
  return list.length ? list : fallback;
}

/** Sort with a final tie-breaker on `tieField` so offset pagination is stable. */
export function sortBy<T extends Record<string, unknown>>(items: T[], sort: SortParam[], get: Getter, tieField: string): T[] {
  const keyed = items.map((it) => ({ it, keys: sort.map((s) => norm(s.field, get(it, s.field))) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sort.length; i++) {
      const x = a.keys[i];
      const y = b.keys[i];
      const xm = x === undefined || x === null;
      const ym = y === undefined || y === null;
      if (xm || ym) {
        if (xm && ym) continue;
        return xm ? 1 : -1; // missing values last
      }
      const c = cmp(x, y);
      if (c !== 0) return c * sort[i].direction;
    }
    return cmp(a.it[tieField], b.it[tieField]);
  });
  return keyed.map((k) => k.it);
}

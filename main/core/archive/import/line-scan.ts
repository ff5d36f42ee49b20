import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native line scanner (native/line-scan.cc, built by `npm install` through node-gyp): strict
 * validation of a v2 envelope line plus the byte ranges of the values the importer reads, so a
 * message line needs no JSON.parse of the whole line. Absent (not built, another platform), the
 * importer parses every line with JSON.parse, as before; with CI=true a test requires it.
 */
export interface LineScanner {
  /**
   * Mode 0 (a v2 line): 1 message envelope, 2 reaction envelope; mode 1 (one bare object, e.g. a
   * v1 message): 3. Ranges of the entity's values in `out`. 0: not vouched for — use JSON.parse.
   */
  scan(buf: Buffer, start: number, end: number, out: Int32Array, mode?: number): number;
  /** `out` holds [start, end, kind] per key, in this order, then one flag. */
  keys: readonly string[];
  /**
   * A file read and scanned line by line on a native thread, a few slots ahead (read-lines.ts, readLinesFromFile).
   * `buffers[i]`/`recs[i]` form slot i; the thread writes a slot only between its return by
   * nextSlot and the following nextSlot call.
   */
  openReader(path: string, buffers: Buffer[], recs: Int32Array[], usersMax?: number): unknown;
  nextSlot(handle: unknown): number;
  closeReader(handle: unknown): void;
  /** glibc only: at most `n` malloc arenas from now on (false where it does not apply). */
  limitMallocArenas(n: number): boolean;
  /** Ints of a slot's header, and of each line's record after it: [pos, s, e, result, user number, ranges…]. */
  HDR: number;
  REC: number;
}

/** Value kinds reported per key (0: the key is absent). */
export const KIND = { str: 1, strEscaped: 2, num: 3, true: 4, false: 5, null: 6, objEmpty: 7, obj: 8, arrEmpty: 9, arr: 10, strNonAscii: 11 } as const;

const KEYS = ['id', 'text', 'type', 'cid', 'created_at', 'updated_at', 'deleted_at', 'parent_id', 'user', 'user_id', 'attachments',
  'latest_reactions', 'reaction_counts', 'pinned', 'show_in_channel', 'reply_count', 'message_text_updated_at', 'channel', 'message_id',
  'score'] as const;
/** object() spells the keys out in this order. */
const USER = 8;
if (KEYS[USER] !== 'user' || KEYS[19] !== 'score' || KEYS.length !== 20) throw new Error('line-scan.ts: KEYS and object() disagree');

function load(): LineScanner | null {
  if (process.env.ARCHIVIST_NATIVE_SCAN === '0') return null;
  // The package root: source (main/…) and compiled (dist/main/…) layouts differ in depth.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  const file = path.join(dir, 'native', 'build', 'Release', 'line_scan.node');
  try {
    const m = createRequire(import.meta.url)(file) as Omit<LineScanner, 'keys'> & { nkeys: number; version: number };
    // A stale build (another key list, or without the kinds and functions this file expects): not used.
    if (m.nkeys !== KEYS.length || m.version !== 6) return null;
    return {
      scan: m.scan, keys: KEYS, openReader: m.openReader, nextSlot: m.nextSlot, closeReader: m.closeReader, HDR: m.HDR, REC: m.REC,
      limitMallocArenas: m.limitMallocArenas,
    };
  } catch {
    return null;
  }
}

export const lineScanner: LineScanner | null = load();

/**
 * Caps glibc's malloc arenas for the whole process (the native module's mallopt; nothing without
 * it or off glibc). Each thread that allocates while another does gets an arena of its own, and
 * memory freed in one arena is never reused by another: an import's threads kept ≈ 10–25 MB more
 * resident than with two (bench:import peak RSS; MALLOC_ARENA_MAX=2 set before start saves more,
 * but needs every launcher). Applies to threads that get an arena after the call. 0: leave it.
 */
let arenasLimited = false;
export function limitMallocArenas(n: number): boolean {
  if (arenasLimited || !lineScanner || !(n > 0)) return false;
  arenasLimited = true;
  return lineScanner.limitMallocArenas(Math.floor(n));
}

type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };
const HAS_LATIN1_SLICE = typeof (Buffer.prototype as Partial<LatinBuffer>).latin1Slice === 'function';
/** Buffer's own latin1 decoder, without toString's argument handling; toString should a Node release drop it. */
export const latin1Slice = (buf: Buffer, s: number, e: number) =>
  (HAS_LATIN1_SLICE ? (buf as LatinBuffer).latin1Slice(s, e) : buf.toString('latin1', s, e));

/**
 * Turns what the scanner reported into the entity object the normalizer reads (only the keys it
 * reads), as JSON.parse of the UTF-8 text would have given them: ASCII strings cheaply as latin1,
 * other strings decoded from just their bytes, everything else JSON.parse of just that value.
 * One per file: it remembers embedded users by their exact bytes (most messages repeat their
 * author's object verbatim).
 */
export class ScannedEntity {
  readonly ranges: Int32Array;
  private users = new Map<string, { bytes: Buffer; value: unknown }>();
  private readonly scanner: LineScanner;
  constructor(scanner: LineScanner) {
    this.scanner = scanner;
    this.ranges = new Int32Array(scanner.keys.length * 3 + 1);
  }

  scan(buf: Buffer, start: number, end: number, mode = 0): number {
    return this.scanner.scan(buf, start, end, this.ranges, mode);
  }

  /**
   * The entity `scan` reported (or the reader thread, at `r[at…]`, with the number it gave the
   * embedded user object: `userNo`). Every key is present (undefined when the line has none; the
   * normalizer only reads them), so all these objects share one shape and the normalizer's
   * property reads stay monomorphic — with keys added as found, the many key combinations made
   * every read a megamorphic lookup.
   */
  object(buf: Buffer, r: Int32Array = this.ranges, at = 0, userNo = -1): Record<string, unknown> {
    const v = (i: number): unknown => {
      const kind = r[at + i * 3 + 2];
      return kind === 0 ? undefined : value(buf, r[at + i * 3], r[at + i * 3 + 1], kind);
    };
    const us = r[at + USER * 3], ue = r[at + USER * 3 + 1];
    const user = userNo >= 0 ? this.numberedUser(buf, us, ue, userNo) : r[at + USER * 3 + 2] === KIND.obj ? this.user(buf, us, ue) : v(USER);
    return {
      id: v(0), text: v(1), type: v(2), cid: v(3), created_at: v(4), updated_at: v(5), deleted_at: v(6), parent_id: v(7),
      user, user_id: v(9), attachments: v(10),
      latest_reactions: v(11), reaction_counts: v(12), pinned: v(13), show_in_channel: v(14), reply_count: v(15),
      message_text_updated_at: v(16), channel: v(17), message_id: v(18), score: v(19),
    };
  }

  /**
   * Users the reader thread numbered (same bytes, same number): each parsed once. A number is
   * (generation << 16) | index; a new generation means the thread started its table over, so
   * what was kept for the previous one is dropped.
   */
  private numbered: unknown[] = [];
  private generation = 0;
  private numberedUser(buf: Buffer, s: number, e: number, n: number): unknown {
    const g = n >>> 16;
    if (g !== this.generation) {
      this.generation = g;
      this.numbered = [];
    }
    const i = n & 0xffff;
    let v = this.numbered[i];
    if (v === undefined) v = this.numbered[i] = JSON.parse(buf.toString('utf8', s, e));
    return v;
  }

  private user(buf: Buffer, s: number, e: number): unknown {
    const key = latin1Slice(buf, s, Math.min(e, s + 64)); // starts with its id in Stream's order
    const hit = this.users.get(key);
    if (hit && hit.bytes.length === e - s && buf.compare(hit.bytes, 0, hit.bytes.length, s, e) === 0) return hit.value;
    const v = JSON.parse(buf.toString('utf8', s, e));
    if (this.users.size >= 50_000) this.users = new Map();
    this.users.set(key, { bytes: Buffer.from(buf.subarray(s, e)), value: v });
    return v;
  }
}

function value(buf: Buffer, s: number, e: number, kind: number): unknown {
  switch (kind) {
    case KIND.str: return latin1Slice(buf, s + 1, e - 1);
    case KIND.strNonAscii: return buf.toString('utf8', s + 1, e - 1);
    case KIND.true: return true;
    case KIND.false: return false;
    case KIND.null: return null;
    case KIND.objEmpty: return {};
    case KIND.arrEmpty: return [];
    default: return JSON.parse(buf.toString('utf8', s, e)); // already validated: just this value
  }
}

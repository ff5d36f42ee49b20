import type { Readable } from 'node:stream';
import { Joiner } from './chunks.ts';
import { classify, type Classified } from './classify.ts';
import { NON_ASCII, REDO_AS_UTF8 } from './normalize.ts';
import { KIND, lineScanner } from './line-scan.ts';

/** Where a reader delivers what it finds. Calls are synchronous; `drain` gives backpressure. */
export interface EntitySink {
  /** `offset`/`length`: the entity's bytes in the (decompressed) file, -1 when unknown. */
  entity(c: Classified, raw: string, line: number, ctxCid: string | undefined, offset: number, length: number): void;
  reject(line: number, offset: number, reason: string, excerpt: string): void;
  /** Awaited after each chunk: lets the consumer hold the reader while it catches up. */
  drain(bytes: number, lines: number): Promise<void> | void;
  /**
   * When present, message and reaction lines are decoded as latin1 and handed over between
   * `setLatin1(line)` and `setLatin1(null)`; the sink turns the strings it keeps back into UTF-8
   * text, or throws REDO_AS_UTF8 to get the line again decoded as UTF-8 (normalize.ts).
   */
  setLatin1?(raw: string | null): void;
  /** With setLatin1: entities handed over without their line's text (`raw` is ''); a rejection throws REDO_AS_UTF8. */
  setNoText?(on: boolean): void;
}

/**
 * Buffer's own latin1 decoder, without toString's argument handling (≈ 0.1 µs per line); it is
 * not documented, so toString stands in should a Node release drop it.
 */
type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };
const HAS_LATIN1_SLICE = typeof (Buffer.prototype as Partial<LatinBuffer>).latin1Slice === 'function';
const latin1Slice = (buf: Buffer, s: number, e: number) => (HAS_LATIN1_SLICE ? (buf as LatinBuffer).latin1Slice(s, e) : buf.toString('latin1', s, e));

const excerptOf = (s: string) => (s.length > 200 ? s.slice(0, 200) + '…' : s);

/**
 * Reads line-separated JSON (v2 exports, async user exports). Splits on '\n' in large byte
 * chunks (much cheaper than readline) so every line's byte offset is known exactly — messages
 * point at their bytes in the evidence file instead of copying them. Tolerates CRLF and blank
 * lines; a final line without newline that does not parse is reported as truncated.
 */
export async function readLines(
  stream: Readable | AsyncIterable<Buffer>, sink: EntitySink, opts: { native?: boolean } = {},
): Promise<{ lines: number; bytes: number }> {
  let carry: Buffer | null = null;
  let carryStart = 0; // file offset of carry[0]
  let lineNo = 0;
  let bytes = 0;

  const latin1 = typeof sink.setLatin1 === 'function';
  let base = 0;
  const scanner = latin1 && opts.native !== false && typeof sink.setNoText === 'function' ? lineScanner : null;
  const ranges = new Int32Array(scanner ? scanner.keys.length * 3 + 1 : 0);
  const USER = scanner ? scanner.keys.indexOf('user') : -1;
  /** Embedded users by their exact bytes: most messages repeat their author's object verbatim. */
  let users = new Map<string, { bytes: Buffer; value: unknown }>();

  // Values come out as UTF-8 text (what JSON.parse of the decoded line gives): ASCII strings cheaply
  // as latin1, others decoded from just their bytes.
  const valueAt = (buf: Buffer, s: number, e: number, kind: number): unknown => {
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
  };
  const userAt = (buf: Buffer, s: number, e: number): unknown => {
    const key = latin1Slice(buf, s, Math.min(e, s + 64)); // starts with its id in Stream's order
    const hit = users.get(key);
    if (hit && hit.bytes.length === e - s && buf.compare(hit.bytes, 0, hit.bytes.length, s, e) === 0) return hit.value;
    const value = JSON.parse(buf.toString('utf8', s, e));
    if (users.size >= 50_000) users = new Map();
    users.set(key, { bytes: Buffer.from(buf.subarray(s, e)), value });
    return value;
  };
  /** The entity object of a line the native scanner vouched for, with just the fields it reported. */
  const fromRanges = (buf: Buffer): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    const keys = scanner!.keys;
    for (let i = 0; i < keys.length; i++) {
      const kind = ranges[i * 3 + 2];
      if (kind === 0) continue;
      const s = ranges[i * 3], e = ranges[i * 3 + 1];
      o[keys[i]] = i === USER && kind === KIND.obj ? userAt(buf, s, e) : valueAt(buf, s, e, kind);
    }
    return o;
  };

  /** The line decoded as UTF-8: every line can take this path. */
  const utf8Line = (buf: Buffer, s: number, e: number, pos: number, truncated: boolean) => {
    const raw = buf.toString('utf8', s, e);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      const reason = truncated
        ? 'truncated last line: the file ends in the middle of a JSON object (incomplete download?)'
        : `malformed JSON: ${(err as Error).message}`;
      sink.reject(lineNo, base + pos, reason, excerptOf(raw));
      return;
    }
    const c = classify(value);
    if (c) sink.entity(c, raw, lineNo, undefined, base + s, e - s);
    else sink.reject(lineNo, base + pos, 'not a Stream entity (unrecognised JSON object)', excerptOf(raw));
  };

  /**
   * The line decoded as latin1 (one character per byte: ≈ 10× cheaper than UTF-8 for a line with
   * multi-byte characters, and JSON.parse is faster on the result). False: take the UTF-8 path
   * (malformed, unrecognised, other entities with non-ASCII bytes, or the sink asked for it).
   */
  /**
   * A message or reaction envelope the native scanner vouched for: its values, as UTF-8 text, go
   * to the sink without the line ever becoming a string. The sink has no line text, so a line it
   * would reject is done again on the UTF-8 path (which words the rejection).
   */
  const scannedLine = (buf: Buffer, s: number, e: number, scanned: number): boolean => {
    const kind = scanned === 1 ? 'message' : 'reaction';
    sink.setNoText!(true);
    try {
      sink.entity({ kind, o: fromRanges(buf), shape: 'envelope', name: kind }, '', lineNo, undefined, base + s, e - s);
    } catch (err) {
      if (err === REDO_AS_UTF8) return false;
      throw err;
    } finally {
      sink.setNoText!(false);
    }
    return true;
  };

  const latin1Line = (buf: Buffer, s: number, e: number): boolean => {
    const scanned = scanner ? scanner.scan(buf, s, e, ranges) : 0;
    if (scanned) return scannedLine(buf, s, e, scanned);
    const raw = latin1Slice(buf, s, e);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return false; // the UTF-8 path reports it, with positions and excerpt as UTF-8 text
    }
    const c = classify(value);
    if (!c) return false;
    if (c.kind !== 'message' && c.kind !== 'reaction') {
      // Few lines (channels, members, users, reads): kept whole as text, so decoded as UTF-8.
      if (NON_ASCII.test(raw)) return false;
      sink.entity(c, raw, lineNo, undefined, base + s, e - s);
      return true;
    }
    sink.setLatin1!(raw);
    try {
      sink.entity(c, raw, lineNo, undefined, base + s, e - s);
    } catch (err) {
      if (err === REDO_AS_UTF8) return false;
      throw err;
    } finally {
      sink.setLatin1!(null);
    }
    return true;
  };

  const handle = (buf: Buffer, end: number, lineBase: number, isFinal: boolean) => {
    base = lineBase;
    let pos = 0;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      const last = nl < 0 || nl >= end;
      if (last) nl = end;
      lineNo++;
      let e = nl;
      if (e > pos && buf[e - 1] === 13) e--;
      let s = pos;
      while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
      if (s < e) {
        if (!latin1 || !latin1Line(buf, s, e)) utf8Line(buf, s, e, pos, last && isFinal);
      }
      pos = nl + 1;
    }
  };

  const joiner = new Joiner();
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const buf: Buffer = carry ? joiner.join(carry, chunk) : chunk;
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) {
      carry = buf;
      continue;
    }
    handle(buf, lastNl + 1, carryStart, false);
    carryStart += lastNl + 1;
    carry = lastNl + 1 < buf.length ? buf.subarray(lastNl + 1) : null;
    await sink.drain(bytes, lineNo);
  }
  if (carry && carry.length) {
    handle(carry, carry.length, carryStart, true);
    await sink.drain(bytes, lineNo);
  }
  return { lines: lineNo, bytes };
}

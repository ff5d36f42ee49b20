import type { Readable } from 'node:stream';
import util from 'node:util';
import { Joiner, fileChunks } from './chunks.ts';
import { mark } from './timeline.ts';
import { classify, type Classified } from './classify.ts';
import { NON_ASCII, REDO_AS_UTF8 } from './normalize.ts';
import { latin1Slice, lineScanner, ScannedEntity } from './line-scan.ts';

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

const excerptOf = (s: string) => (s.length > 200 ? s.slice(0, 200) + '…' : s);

/** One line's handling, shared by the stream reader and the native file reader. */
interface LineHandler {
  /**
   * Line `lineNo` is `buf[s, e)` (spaces/tabs before it and its "\r\n" already cut off; `pos`:
   * where it started), `base` the file offset of `buf[0]`. `scanned`: what the reader thread's
   * scan found (ranges at `recs[at…]`), or -1 when the line was not scanned yet.
   */
  line(buf: Buffer, s: number, e: number, pos: number, base: number, lineNo: number, truncated: boolean,
    scanned: number, recs?: Int32Array, at?: number, userNo?: number): void;
}

function lineHandler(sink: EntitySink, native: boolean): LineHandler {
  const latin1 = typeof sink.setLatin1 === 'function';
  const scanner = latin1 && native && typeof sink.setNoText === 'function' && lineScanner ? new ScannedEntity(lineScanner) : null;
  let base = 0;
  let lineNo = 0;

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
   * A message or reaction envelope the native scanner vouched for: its values, as UTF-8 text, go
   * to the sink without the line ever becoming a string. The sink has no line text, so a line it
   * would reject is done again on the UTF-8 path (which words the rejection).
   */
  const scannedLine = (buf: Buffer, s: number, e: number, scanned: number, recs: Int32Array | undefined, at: number, userNo: number): boolean => {
    const kind = scanned === 1 ? 'message' : 'reaction';
    sink.setNoText!(true);
    try {
      const o = recs ? scanner!.object(buf, recs, at, userNo) : scanner!.object(buf);
      sink.entity({ kind, o, shape: 'envelope', name: kind }, '', lineNo, undefined, base + s, e - s);
    } catch (err) {
      if (err === REDO_AS_UTF8) return false;
      throw err;
    } finally {
      sink.setNoText!(false);
    }
    return true;
  };

  /**
   * The line decoded as latin1 (one character per byte: ≈ 10× cheaper than UTF-8 for a line with
   * multi-byte characters, and JSON.parse is faster on the result). False: take the UTF-8 path
   * (malformed, unrecognised, other entities with non-ASCII bytes, or the sink asked for it).
   */
  const latin1Line = (buf: Buffer, s: number, e: number, pre: number, recs: Int32Array | undefined, at: number, userNo: number): boolean => {
    const scanned = pre >= 0 ? pre : scanner ? scanner.scan(buf, s, e) : 0;
    if (scanned && scanner) return scannedLine(buf, s, e, scanned, pre >= 0 ? recs : undefined, at, userNo);
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

  return {
    line(buf, s, e, pos, lineBase, n, truncated, scanned, recs, at = 0, userNo = -1) {
      base = lineBase;
      lineNo = n;
      if (s >= e) return;
      if (!latin1 || !latin1Line(buf, s, e, scanned, recs, at, userNo)) utf8Line(buf, s, e, pos, truncated);
    },
  };
}

/** Where a line's content starts: after leading spaces and tabs. */
function contentStart(buf: Buffer, s: number, e: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  return s;
}

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
  const handler = lineHandler(sink, opts.native !== false);

  const handle = (buf: Buffer, end: number, lineBase: number, isFinal: boolean) => {
    let pos = 0;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      const last = nl < 0 || nl >= end;
      if (last) nl = end;
      lineNo++;
      let e = nl;
      if (e > pos && buf[e - 1] === 13) e--;
      handler.line(buf, contentStart(buf, pos, e), e, pos, lineBase, lineNo, last && isFinal, -1);
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

// Slot header fields (native/line-scan.cc, Reader).
const H = { STATUS: 0, BYTES: 1, NRECS: 2, OFF_LO: 3, OFF_HI: 4, MIDLINE: 5, UNTERMINATED: 6, LAST: 7, READ_LO: 8, READ_HI: 9 } as const;
const ST_FRAGMENT = 1;
const ST_ERROR = 3;
const u64 = (lo: number, hi: number) => (hi >>> 0) * 2 ** 32 + (lo >>> 0);

export interface FileReadOptions {
  native?: boolean;
  /** Native reader: bytes per slot, slots, lines per slot, distinct users per generation (tests use tiny ones). */
  slotBytes?: number;
  slots?: number;
  maxLines?: number;
  usersMax?: number;
}

/**
 * Reads an uncompressed line-separated file. With the native scanner, a thread of its own reads
 * the file and scans its lines a few slots ahead (file reads and scanning then cost this thread
 * nothing); otherwise, or for a sink that takes no scanned entities, this is `readLines` over the
 * file's chunks. Same lines, offsets, records and rejections either way (tests compare them).
 */
export async function readLinesFromFile(
  file: string, sink: EntitySink, opts: FileReadOptions = {},
): Promise<{ lines: number; bytes: number }> {
  const scanner = lineScanner;
  if (!scanner || opts.native === false || typeof sink.setLatin1 !== 'function' || typeof sink.setNoText !== 'function') {
    return readLines(fileChunks(file, opts.slotBytes ?? 1024 * 1024), sink, opts);
  }
  const { HDR, REC } = scanner;
  const nslots = Math.max(2, opts.slots ?? 4);
  const slotBytes = opts.slotBytes ?? 1024 * 1024;
  const maxLines = opts.maxLines ?? 4096;
  const bufs = Array.from({ length: nslots }, () => Buffer.allocUnsafe(slotBytes));
  const recs = Array.from({ length: nslots }, () => new Int32Array(HDR + maxLines * REC));
  const handler = lineHandler(sink, true);
  const handle = scanner.openReader(file, bufs, recs, opts.usersMax);
  let lineNo = 0;
  let bytes = 0;
  // A line longer than a slot arrives in pieces: its start (fragments) and the slot where it ends.
  const joiner = new Joiner();
  let frag: Buffer | null = null;
  let fragAt = 0;
  let waited = 0; // in nextSlot: how far the reader thread is from keeping ahead (profiling)
  try {
    for (;;) {
      const tw = performance.now();
      const i = scanner.nextSlot(handle);
      waited += performance.now() - tw;
      if (i < 0) throw new Error(`reading ${file} stopped`);
      const r = recs[i];
      const buf = bufs[i];
      if (r[H.STATUS] === ST_ERROR) {
        throw new Error(`cannot read ${file}: ${util.getSystemErrorName(-r[H.BYTES])} (errno ${r[H.BYTES]})`);
      }
      const base = u64(r[H.OFF_LO], r[H.OFF_HI]);
      if (r[H.STATUS] === ST_FRAGMENT) {
        if (!frag) fragAt = base;
        frag = joiner.join(frag ?? Buffer.alloc(0), buf.subarray(0, r[H.BYTES]));
      } else {
        const n = r[H.NRECS];
        for (let k = 0; k < n; k++) {
          const at = HDR + k * REC;
          lineNo++;
          const truncated = k === n - 1 && r[H.UNTERMINATED] === 1;
          if (k === 0 && r[H.MIDLINE] === 1) {
            // The end of a long line: joined with its start, then handled like any line.
            const nl = truncated ? r[at + 2] : (n > 1 ? r[at + REC] : r[H.BYTES]) - 1; // its '\n'
            const whole = joiner.join(frag!, buf.subarray(0, nl));
            frag = null;
            let e = whole.length;
            if (!truncated && e > 0 && whole[e - 1] === 13) e--;
            handler.line(whole, contentStart(whole, 0, e), e, 0, fragAt, lineNo, truncated, -1);
          } else {
            handler.line(buf, r[at + 1], r[at + 2], r[at], base, lineNo, truncated, r[at + 3], r, at + 5, r[at + 4]);
          }
        }
      }
      bytes = u64(r[H.READ_LO], r[H.READ_HI]);
      await sink.drain(bytes, lineNo);
      if (r[H.LAST] === 1) break;
    }
  } finally {
    scanner.closeReader(handle);
  }
  mark(`file read: ${waited.toFixed(0)} ms waiting for the reader thread`);
  return { lines: lineNo, bytes };
}

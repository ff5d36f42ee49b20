import type { Readable } from 'node:stream';
import { Joiner } from './chunks.ts';
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
  const scanner = latin1 && opts.native !== false && typeof sink.setNoText === 'function' && lineScanner
    ? new ScannedEntity(lineScanner) : null;

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
      sink.entity({ kind, o: scanner!.object(buf), shape: 'envelope', name: kind }, '', lineNo, undefined, base + s, e - s);
    } catch (err) {
      if (err === REDO_AS_UTF8) return false;
      throw err;
    } finally {
      sink.setNoText!(false);
    }
    return true;
  };

  const latin1Line = (buf: Buffer, s: number, e: number): boolean => {
    const scanned = scanner ? scanner.scan(buf, s, e) : 0;
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

import type { Readable } from 'node:stream';
import { Joiner } from './chunks.ts';
import { classifyBare, type Classified, type EntityKind } from './classify.ts';
import type { EntitySink } from './read-lines.ts';
import { lineScanner, ScannedEntity } from './line-scan.ts';
import { REDO_AS_UTF8 } from './normalize.ts';

const SECTION_KIND: Record<string, EntityKind> = {
  channel: 'channel',
  messages: 'message',
  members: 'member',
  read: 'read',
  reads: 'read',
  reactions: 'reaction',
};

const Q = 0x22, BS = 0x5c, LB = 0x7b, RB = 0x7d, LS = 0x5b, RS = 0x5d, COLON = 0x3a, NL = 0x0a;

/**
 * Streams a v1 export — one JSON array of {channel, messages, members} — without ever holding
 * the document: a byte scanner tracks nesting and string state, cuts out each entity object
 * (the channel, every message, member, read) and JSON.parses only that slice. Memory is bounded
 * by the largest single entity, not by the file.
 */
export async function readV1(
  stream: Readable | AsyncIterable<Buffer>, sink: EntitySink, opts: { native?: boolean } = {},
): Promise<{ lines: number; bytes: number }> {
  // Messages (most of a v1 file) go through the native scanner when it is there (line-scan.ts).
  const scanner = opts.native !== false && typeof sink.setNoText === 'function' && lineScanner ? new ScannedEntity(lineScanner) : null;
  let buf: Buffer = Buffer.alloc(0);
  let base = 0; // file offset of buf[0]
  let pos = 0; // scan position in buf
  let depth = 0;
  let inString = false;
  let stringStart = -1; // buf index of the opening quote of the current string (depth-2 keys)
  let lastKey = '';
  let pendingKey = '';
  let section: EntityKind | null = null;
  let captureStart = -1;
  let captureDepth = 0;
  let newlinesBefore = 0; // newlines in the file before buf[0]
  let bytes = 0;
  let entities = 0;
  let elementCid: string | undefined;
  let deferred: { c: Classified; raw: string; line: number; off: number; len: number }[] = [];
  let sawTopArray = false;

  // Line numbers are counted incrementally (entities come in file order), never by rescanning.
  let countedLines = 0;
  let nextNl = -2; // position of the next uncounted newline in buf; -1 none left; -2 unknown
  const lineAt = (i: number) => {
    if (nextNl === -2) nextNl = buf.indexOf(NL, 0);
    while (nextNl >= 0 && nextNl < i) {
      countedLines++;
      nextNl = buf.indexOf(NL, nextNl + 1);
    }
    return newlinesBefore + countedLines + 1;
  };

  /** A message the native scanner vouched for, handed over without its text (see read-lines.ts). */
  const scannedMessage = (start: number, end: number): boolean => {
    if (scanner!.scan(buf, start, end, 1) !== 3) return false;
    sink.setNoText!(true);
    try {
      sink.entity({ kind: 'message', o: scanner!.object(buf), shape: 'bare', name: lastKey }, '', lineAt(start), elementCid, base + start, end - start);
    } catch (err) {
      if (err === REDO_AS_UTF8) return false;
      throw err;
    } finally {
      sink.setNoText!(false);
    }
    entities++;
    return true;
  };

  const emit = (start: number, end: number) => {
    if (scanner && section === 'message' && scannedMessage(start, end)) return;
    const raw = buf.toString('utf8', start, end);
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch (err) {
      sink.reject(lineAt(start), base + start, `malformed JSON in "${lastKey}": ${(err as Error).message}`, raw.slice(0, 200));
      return;
    }
    entities++;
    if (typeof o !== 'object' || o === null) return;
    const obj = o as Record<string, unknown>;
    const kind: EntityKind = section ?? classifyBare(obj) ?? 'other';
    const c: Classified = { kind, o: obj, shape: 'bare', name: lastKey };
    const line = lineAt(start);
    const off = base + start;
    const len = end - start;
    if (kind === 'channel') {
      elementCid = typeof obj.cid === 'string' ? obj.cid : `${obj.type}:${obj.id}`;
      sink.entity(c, raw, line, elementCid, off, len);
      for (const d of deferred) sink.entity(d.c, d.raw, d.line, elementCid, d.off, d.len);
      deferred = [];
    } else if ((kind === 'member' || kind === 'read') && !elementCid) {
      deferred.push({ c, raw, line, off, len });
    } else {
      sink.entity(c, raw, line, elementCid, off, len);
    }
  };

  const endElement = () => {
    for (const d of deferred) sink.reject(d.line, 0, `${d.c.kind} outside of any channel element`, d.raw.slice(0, 200));
    deferred = [];
    elementCid = undefined;
  };

  const scan = () => {
    const n = buf.length;
    while (pos < n) {
      if (inString) {
        const q = buf.indexOf(Q, pos);
        if (q < 0) {
          pos = n;
          return;
        }
        let bs = 0;
        for (let k = q - 1; k >= 0 && buf[k] === BS; k--) bs++;
        pos = q + 1;
        if (bs % 2 === 0) {
          inString = false;
          if (depth === 2 && captureStart < 0 && stringStart >= 0) {
            pendingKey = buf.toString('utf8', stringStart + 1, q);
            stringStart = -1;
          }
        }
        continue;
      }
      const ch = buf[pos];
      switch (ch) {
        case Q:
          inString = true;
          if (depth === 2 && captureStart < 0) stringStart = pos;
          break;
        case LB:
        case LS:
          if (depth === 0) {
            if (ch !== LS) throw new Error('not a v1 export: top level is not an array');
            sawTopArray = true;
          } else if (captureStart < 0) {
            if (depth === 2 && ch === LB) {
              section = SECTION_KIND[lastKey] ?? null;
              captureStart = pos;
              captureDepth = depth;
            } else if (depth === 3 && ch === LB) {
              captureStart = pos;
              captureDepth = depth;
            } else if (depth === 2 && ch === LS) {
              section = SECTION_KIND[lastKey] ?? null;
            }
          }
          depth++;
          break;
        case RB:
        case RS:
          depth--;
          if (captureStart >= 0 && depth === captureDepth) {
            emit(captureStart, pos + 1);
            captureStart = -1;
          } else if (depth === 1 && ch === RB) {
            endElement();
          }
          break;
        case COLON:
          if (depth === 2 && captureStart < 0) lastKey = pendingKey;
          break;
      }
      pos++;
    }
  };

  const joiner = new Joiner();
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    // Keep only what an unfinished token still needs: the open capture or the open key string.
    const keep = captureStart >= 0 ? captureStart : inString && stringStart >= 0 ? stringStart : pos;
    const dropped = buf.subarray(0, keep);
    for (let k = dropped.indexOf(NL); k >= 0; k = dropped.indexOf(NL, k + 1)) newlinesBefore++;
    countedLines = 0;
    nextNl = -2;
    const rest = buf.subarray(keep);
    buf = rest.length ? joiner.join(rest, chunk) : chunk;
    base += keep;
    pos -= keep;
    if (captureStart >= 0) captureStart -= keep;
    if (stringStart >= 0) stringStart -= keep;
    scan();
    await sink.drain(bytes, entities);
  }
  if (!sawTopArray) throw new Error('not a v1 export: no top-level array');
  if (depth !== 0 || inString) {
    const at = captureStart >= 0 ? captureStart : pos;
    sink.reject(
      lineAt(Math.min(at, buf.length)),
      base + Math.min(at, buf.length),
      'truncated file: the JSON document ends before it is complete (incomplete download?)',
      buf.toString('utf8', Math.min(at, buf.length), Math.min(buf.length, at + 200)),
    );
    endElement();
  }
  return { lines: newlinesBefore + 1, bytes };
}

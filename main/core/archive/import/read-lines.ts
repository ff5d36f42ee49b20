import type { Readable } from 'node:stream';
import { classify, type Classified } from './classify.ts';

/** Where a reader delivers what it finds. Calls are synchronous; `drain` gives backpressure. */
export interface EntitySink {
  entity(c: Classified, raw: string, line: number, ctxCid?: string): void;
  reject(line: number, offset: number, reason: string, excerpt: string): void;
  /** Awaited after each chunk: lets the consumer hold the reader while it catches up. */
  drain(bytes: number, lines: number): Promise<void> | void;
}

const excerptOf = (s: string) => (s.length > 200 ? s.slice(0, 200) + '…' : s);

/**
 * Reads line-separated JSON (v2 exports, async user exports). Splits on '\n' over large decoded
 * chunks (much cheaper than readline), tolerates CRLF and blank lines, and reports a final line
 * without its newline that does not parse as truncated.
 */
export async function readLines(stream: Readable, sink: EntitySink): Promise<{ lines: number; bytes: number }> {
  let carry: Buffer | null = null;
  let carryStart = 0; // byte offset of carry[0] in the file
  let lineNo = 0;
  let bytes = 0;

  const handle = (text: string, baseOffset: number, isFinal: boolean) => {
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      const last = nl < 0;
      if (last) nl = n;
      lineNo++;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      // Skip leading whitespace cheaply; blank lines are allowed.
      let s = pos;
      while (s < end && (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9)) s++;
      if (s < end) {
        const raw = text.slice(s, end);
        let value: unknown;
        let ok = true;
        try {
          value = JSON.parse(raw);
        } catch (err) {
          ok = false;
          const offset = baseOffset + Buffer.byteLength(text.slice(0, pos));
          const reason = last && isFinal
            ? 'truncated last line: the file ends in the middle of a JSON object (incomplete download?)'
            : `malformed JSON: ${(err as Error).message}`;
          sink.reject(lineNo, offset, reason, excerptOf(raw));
        }
        if (ok) {
          const c = classify(value);
          if (c) sink.entity(c, raw, lineNo);
          else {
            const offset = baseOffset + Buffer.byteLength(text.slice(0, pos));
            sink.reject(lineNo, offset, 'not a Stream entity (unrecognised JSON object)', excerptOf(raw));
          }
        }
      }
      pos = nl + 1;
    }
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) {
      carry = buf;
      continue;
    }
    const text = buf.toString('utf8', 0, lastNl + 1);
    handle(text, carryStart, false);
    carryStart += lastNl + 1;
    carry = lastNl + 1 < buf.length ? buf.subarray(lastNl + 1) : null;
    await sink.drain(bytes, lineNo);
  }
  if (carry && carry.length) {
    handle(carry.toString('utf8'), carryStart, true);
    await sink.drain(bytes, lineNo);
  }
  return { lines: lineNo, bytes };
}

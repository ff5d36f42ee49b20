import type { Readable } from 'node:stream';
import { Joiner } from './chunks.ts';
import { classify, type Classified } from './classify.ts';

/** Where a reader delivers what it finds. Calls are synchronous; `drain` gives backpressure. */
export interface EntitySink {
  /** `offset`/`length`: the entity's bytes in the (decompressed) file, -1 when unknown. */
  entity(c: Classified, raw: string, line: number, ctxCid: string | undefined, offset: number, length: number): void;
  reject(line: number, offset: number, reason: string, excerpt: string): void;
  /** Awaited after each chunk: lets the consumer hold the reader while it catches up. */
  drain(bytes: number, lines: number): Promise<void> | void;
}

const excerptOf = (s: string) => (s.length > 200 ? s.slice(0, 200) + '…' : s);

/**
 * Reads line-separated JSON (v2 exports, async user exports). Splits on '\n' in large byte
 * chunks (much cheaper than readline) so every line's byte offset is known exactly — messages
 * point at their bytes in the evidence file instead of copying them. Tolerates CRLF and blank
 * lines; a final line without newline that does not parse is reported as truncated.
 */
export async function readLines(stream: Readable | AsyncIterable<Buffer>, sink: EntitySink): Promise<{ lines: number; bytes: number }> {
  let carry: Buffer | null = null;
  let carryStart = 0; // file offset of carry[0]
  let lineNo = 0;
  let bytes = 0;

  const handle = (buf: Buffer, end: number, base: number, isFinal: boolean) => {
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
        const raw = buf.toString('utf8', s, e);
        let value: unknown;
        let ok = true;
        try {
          value = JSON.parse(raw);
        } catch (err) {
          ok = false;
          const reason = last && isFinal
            ? 'truncated last line: the file ends in the middle of a JSON object (incomplete download?)'
            : `malformed JSON: ${(err as Error).message}`;
          sink.reject(lineNo, base + pos, reason, excerptOf(raw));
        }
        if (ok) {
          const c = classify(value);
          if (c) sink.entity(c, raw, lineNo, undefined, base + s, e - s);
          else sink.reject(lineNo, base + pos, 'not a Stream entity (unrecognised JSON object)', excerptOf(raw));
        }
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

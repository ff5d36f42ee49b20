import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Detection } from './detect.ts';
import { fileChunks } from './chunks.ts';
import { Normalizer } from './normalize.ts';
import { readLines, readLinesFromFile } from './read-lines.ts';
import { readUserDocument } from './read-user-document.ts';
import { readV1 } from './read-v1.ts';
import type { Batch } from './records.ts';

export interface ParseJob { path: string; detection: Detection }
export interface ParseResult { lines: number; bytes: number; shapes: string[] }

const CHUNK = 1024 * 1024;
/**
 * Records per batch: small batches die young (the garbage collector barely notices them); held
 * for a whole read chunk they were promoted and collected by full collections.
 */
const BATCH = 256;

/**
 * Reads an export file (gunzip when needed), parses and normalizes its entities and hands them
 * to `onBatch` in order, in batches of ≈ BATCH records. `onBatch` may return a promise to hold
 * the reader (backpressure; awaited once per read chunk).
 */
export async function parseFile(job: ParseJob, onBatch: (b: Batch) => Promise<void> | void): Promise<ParseResult> {
  let hold: Promise<void> | void = undefined;
  const normalizer: Normalizer = new Normalizer(() => {
    send();
    const h = hold;
    hold = undefined;
    return h;
  });
  normalizer.flushAt = BATCH;
  normalizer.onFull = send;
  function send() {
    if (normalizer.size === 0) return;
    const h = onBatch(normalizer.take());
    // Several holds in one chunk: wait for all of them.
    if (h) hold = hold && hold !== h ? Promise.all([hold, h]).then(() => undefined) : h;
  }

  const stream = () => job.detection.gzip
    ? fs.createReadStream(job.path, { highWaterMark: CHUNK }).pipe(zlib.createGunzip({ chunkSize: CHUNK }))
    : fileChunks(job.path, CHUNK);
  let result: { lines: number; bytes: number };
  try {
    result = job.detection.layout === 'array'
      ? await readV1(stream(), normalizer)
      : job.detection.layout === 'user-document'
        ? await readUserDocument(stream(), normalizer)
        : job.detection.gzip ? await readLines(stream(), normalizer) : await readLinesFromFile(job.path, normalizer);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A gzip stream cut short: keep what was read, report the truncation as a rejection.
    if (job.detection.gzip && (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end/i.test(e.message))) {
      normalizer.reject(normalizer.counts.lines + 1, normalizer.counts.bytes, `truncated or corrupt gzip data: ${e.message}`, '');
      result = { lines: normalizer.counts.lines, bytes: normalizer.counts.bytes };
    } else throw err;
  }
  normalizer.counts.lines = result.lines;
  normalizer.counts.bytes = result.bytes;
  send();
  await hold;
  return { lines: result.lines, bytes: result.bytes, shapes: [...normalizer.shapes] };
}

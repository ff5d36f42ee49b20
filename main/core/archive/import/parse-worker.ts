/**
 * Parser thread for one import: hashes the file, then reads it (gunzip when needed), parses and
 * normalizes entities, and posts record batches to the archive worker, which owns the database.
 * Splitting parse from write lets the two run on separate cores.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import zlib from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';
import type { Detection } from './detect.ts';
import { Normalizer } from './normalize.ts';
import { readLines } from './read-lines.ts';
import { readV1 } from './read-v1.ts';
import { readUserDocument } from './read-user-document.ts';

const { path, detection, batchSize = 2000, maxInFlight = 2, knownSha256, evidenceDir } = workerData as {
  path: string; detection: Detection; batchSize?: number; maxInFlight?: number; knownSha256?: string; evidenceDir: string;
};
const port = parentPort!;
const CHUNK = 8 * 1024 * 1024;

let inFlight = 0;
let waiter: (() => void) | null = null;
let decision: ((go: boolean) => void) | null = null;

/**
 * Keeps the file as evidence: an immutable copy named by its SHA-256 (kernel copy, reflink where
 * the filesystem can), made while the parser reads. Files already in the store are left alone.
 */
async function keepEvidence(sha256: string): Promise<string> {
  const target = nodePath.join(evidenceDir, sha256);
  if (nodePath.resolve(path) === target || fs.existsSync(target)) return target;
  fs.mkdirSync(evidenceDir, { recursive: true });
  const tmp = nodePath.join(evidenceDir, `.partial-${sha256}-${process.pid}-${Date.now()}`);
  await fs.promises.copyFile(path, tmp, fs.constants.COPYFILE_FICLONE);
  const fh = await fs.promises.open(tmp, 'r');
  await fh.sync();
  await fh.close();
  await fs.promises.chmod(tmp, 0o444);
  await fs.promises.rename(tmp, target);
  return target;
}
port.on('message', (m: { type: string; go?: boolean }) => {
  if (m.type === 'ack') {
    inFlight--;
    if (waiter && inFlight < maxInFlight) {
      const w = waiter;
      waiter = null;
      w();
    }
  } else if (m.type === 'decision' && decision) decision(!!m.go);
});

async function hashFile(): Promise<{ sha256: string; size: number }> {
  const h = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(path, { highWaterMark: CHUNK })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

async function main() {
  const { sha256, size } = knownSha256 ? { sha256: knownSha256, size: fs.statSync(path).size } : await hashFile();
  const go = await new Promise<boolean>((resolve) => {
    decision = resolve;
    port.postMessage({ type: 'hash', sha256, size });
  });
  if (!go) return;
  const evidence = keepEvidence(sha256);
  evidence.catch(() => undefined); // awaited (and reported) at the end

  const normalizer = new Normalizer(async () => {
    if (normalizer.size >= batchSize) {
      inFlight++;
      port.postMessage({ type: 'batch', batch: normalizer.take() });
      if (inFlight >= maxInFlight) await new Promise<void>((r) => (waiter = r));
    }
  });
  const file = fs.createReadStream(path, { highWaterMark: CHUNK });
  const stream = detection.gzip ? file.pipe(zlib.createGunzip({ chunkSize: 1024 * 1024 })) : file;
  let result: { lines: number; bytes: number };
  try {
    result = detection.layout === 'array'
      ? await readV1(stream, normalizer)
      : detection.layout === 'user-document'
        ? await readUserDocument(stream, normalizer)
        : await readLines(stream, normalizer);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A gzip stream cut short: keep what was read, report the truncation as a rejection.
    if (detection.gzip && (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end/i.test(e.message))) {
      normalizer.reject(normalizer.counts.lines + 1, normalizer.counts.bytes, `truncated or corrupt gzip data: ${e.message}`, '');
      result = { lines: normalizer.counts.lines, bytes: normalizer.counts.bytes };
    } else throw err;
  }
  normalizer.counts.lines = result.lines;
  normalizer.counts.bytes = result.bytes;
  const shapes = [...normalizer.shapes];
  const shape = detection.layout === 'lines' ? (shapes.length === 1 ? shapes[0] : 'mixed') : 'document';
  const evidencePath = await evidence.catch((err: Error) => {
    throw new Error(`the file could not be kept as evidence in ${evidenceDir}: ${err.message}`);
  });
  port.postMessage({ type: 'batch', batch: normalizer.take(), final: true, shape, evidencePath });
}

main().catch((err: Error) => port.postMessage({ type: 'error', message: err.message }));

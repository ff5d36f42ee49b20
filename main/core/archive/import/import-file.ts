import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ArchiveDb } from '../db.ts';
import type { ImportFileResult, ImportProgress, LineShape, RefusedFile, Rejection } from '../types.ts';
import { RefusedFileError, detectExport } from './detect.ts';
import type { Batch } from './records.ts';
import { ArchiveWriter } from './writer.ts';

export interface ImportOptions {
  /** Where evidence copies live (`<dataDir>/evidence`). */
  evidenceDir: string;
  onProgress?: (p: ImportProgress) => void;
  /** Free-form provenance stored with the file record (task id, request…); never a secret. */
  provenance?: Record<string, unknown>;
  /** When the caller already knows the file's SHA-256 (evidence store), skip re-hashing. */
  sha256?: string;
  /** Called after each commit (the indexer can pick the new messages up). */
  onCommitted?: () => void;
}

type FileRow = { id: number; status: string } & Record<string, unknown>;

const parseWorkerUrl = new URL(`./parse-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function resultFromRow(row: Record<string, any>, filePath: string, already: boolean): ImportFileResult {
  return {
    path: filePath, sha256: row.sha256, size: row.size, format: row.format, shape: row.shape, gzip: !!row.gzip,
    already_imported: already, lines: row.lines, messages: row.messages, new_messages: already ? 0 : row.new_messages,
    new_versions: already ? 0 : row.new_versions, channels: row.channels, users: row.users, members: row.members,
    reactions: row.reactions, attachments: row.attachments, reads: row.reads, rejected: row.rejected, took_ms: row.took_ms,
  };
}

/**
 * Imports one export file. Detects and refuses non-exports before writing anything; skips a file
 * already imported (by SHA-256); otherwise streams it through a parser thread into batched
 * transactions. A crash leaves the file 'importing'; importing it again redoes it idempotently.
 */
export async function importFile(
  db: ArchiveDb, filePath: string, opts: ImportOptions,
): Promise<{ file?: ImportFileResult; refused?: RefusedFile; rejected: Rejection[] }> {
  const abs = path.resolve(filePath);
  let detection;
  try {
    detection = await detectExport(abs);
  } catch (err) {
    if (err instanceof RefusedFileError) {
      return { refused: { path: filePath, reason: `not imported: ${err.message}` }, rejected: [] };
    }
    throw err;
  }
  const started = Date.now();
  const worker = new Worker(parseWorkerUrl, { workerData: { path: abs, detection, knownSha256: opts.sha256, evidenceDir: opts.evidenceDir },
    resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
  });
  let writer: ArchiveWriter | null = null;
  let fileId = 0;
  let totalBytes = 0;
  let writeMs = 0;
  let commitMs = 0;
  let firstBatchAt = 0;
  // Several parser batches share one transaction: FTS5 flushes a segment per commit, so larger
  // commits mean far less merge work. A crash loses at most the open transaction, and the
  // re-import redoes it (idempotent).
  const COMMIT_EVERY = 100_000;
  let open = false;
  let sinceCommit = 0;
  // A bigger page cache while importing keeps the random-insert indexes (id hash, time key)
  // resident; restored afterwards so an idle archive stays small.
  const cacheBefore = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = -${Number(process.env.ARCHIVIST_IMPORT_CACHE_MB ?? 48) * 1024}`);
  const restoreCache = () => db.pragma(`cache_size = ${cacheBefore}`);
  const writeBatch = (w: ArchiveWriter, b: Batch) => {
    if (!open) {
      db.exec('BEGIN IMMEDIATE');
      open = true;
    }
    try {
      w.write(b);
    } catch (err) {
      db.exec('ROLLBACK');
      open = false;
      throw err;
    }
    sinceCommit += b.messages.length + b.reactions.length + b.members.length + 1;
    if (sinceCommit >= COMMIT_EVERY) commit();
  };
  const commit = () => {
    const tc = performance.now();
    if (open) db.exec('COMMIT');
    commitMs += performance.now() - tc;
    open = false;
    sinceCommit = 0;
    opts.onCommitted?.();
  };

  return await new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      restoreCache();
      if (open) {
        db.exec('ROLLBACK');
        open = false;
      }
      void worker.terminate();
      reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!settled) fail(new Error(`parser stopped unexpectedly (exit ${code})`));
    });
    worker.on('message', (m: any) => {
      try {
        if (m.type === 'hash') {
          totalBytes = m.size;
          const row = db.prepare('SELECT * FROM files WHERE sha256 = ?').get(m.sha256) as FileRow | undefined;
          if (row && row.status === 'complete') {
            worker.postMessage({ type: 'decision', go: false });
            settled = true;
            restoreCache();
            void worker.terminate();
            resolve({ file: resultFromRow(row, filePath, true), rejected: [] });
            return;
          }
          if (row) {
            fileId = row.id; // resuming an import that was interrupted
            db.prepare('DELETE FROM rejections WHERE file_id = ?').run(fileId);
          } else {
            fileId = Number(db.prepare(
              `INSERT INTO files (sha256, path, size, format, gzip, status, started_at, provenance) VALUES (?,?,?,?,?, 'importing', ?, ?)`,
            ).run(m.sha256, abs, m.size, detection.format, detection.gzip ? 1 : 0, new Date().toISOString(),
              opts.provenance ? JSON.stringify(opts.provenance) : null).lastInsertRowid);
          }
          // Expected messages from the file size (~1 KB each, generously): sizes the Bloom filter.
          writer = new ArchiveWriter(db, fileId, Math.ceil((m.size as number) / 400));
          if (process.env.ARCHIVIST_IMPORT_TIMINGS) writer.profile();
          worker.postMessage({ type: 'decision', go: true });
          return;
        }
        if (m.type === 'error') {
          fail(new Error(m.message));
          return;
        }
        if (m.type !== 'batch' || !writer) return;
        const b = m.batch as Batch;
        const tw = performance.now();
        writeBatch(writer, b);
        writeMs += performance.now() - tw;
        if (firstBatchAt === 0) firstBatchAt = Date.now() - started;
        worker.postMessage({ type: 'ack' });
        const elapsed = (Date.now() - started) / 1000;
        opts.onProgress?.({
          path: filePath, bytes: b.bytes, total_bytes: totalBytes, lines: b.lines, messages: writer.counts.messages,
          bytes_per_second: elapsed > 0 ? Math.round(b.bytes / elapsed) : 0,
        });
        if (!m.final) return;
        commit();
        const c = writer.counts;
        const took = Date.now() - started;
        db.prepare(`UPDATE files SET status='complete', imported_at=?, shape=?, evidence_path=?, lines=?, messages=?, new_messages=?, new_versions=?,
            channels=?, users=?, members=?, reactions=?, attachments=?, reads=?, rejected=?, took_ms=? WHERE id=?`)
          .run(new Date().toISOString(), m.shape, m.evidencePath, b.lines, c.messages, c.new_messages, c.new_versions, c.channels, c.users,
            c.members, c.reactions, c.attachments, c.reads, c.rejected, took, fileId);
        if (process.env.ARCHIVIST_IMPORT_TIMINGS) {
          console.error(`[import] total ${took} ms, first batch at ${firstBatchAt} ms, writer busy ${writeMs.toFixed(0)} ms, commits ${commitMs.toFixed(0)} ms`);
          console.error('[import] statements: ' + Object.entries(writer.timings).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
        }
        const row = db.prepare('SELECT * FROM files WHERE id = ?').get(fileId) as Record<string, unknown>;
        const rejected = (db.prepare('SELECT line, offset, reason FROM rejections WHERE file_id = ? ORDER BY line LIMIT 10000')
          .all(fileId) as { line: number; offset: number; reason: string }[]).map((r) => ({ file: filePath, ...r }));
        settled = true;
        restoreCache();
        void worker.terminate();
        resolve({ file: { ...resultFromRow(row, filePath, false), shape: m.shape as LineShape }, rejected });
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}

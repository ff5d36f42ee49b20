import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ArchiveDb } from '../db.ts';
import type { ImportFileResult, ImportProgress, LineShape, RefusedFile, Rejection } from '../types.ts';
import { hashFile } from '../../evidence/store.ts';
import { keepEvidence } from './keep-evidence.ts';
import { RefusedFileError, detectExport } from './detect.ts';
import type { ImportJob } from './import-worker.ts';
import { mark } from './timeline.ts';

export interface ImportOptions {
  /** archive.db: the import thread opens its own connection to it. */
  dbPath: string;
  /** Where evidence copies live (`<dataDir>/evidence`). */
  evidenceDir: string;
  onProgress?: (p: ImportProgress) => void;
  /** Free-form provenance stored with the file record (task id, request…); never a secret. */
  provenance?: Record<string, unknown>;
  /** When the caller already knows the file's SHA-256 (evidence store), skip re-hashing. */
  sha256?: string;
  /** Called after each commit (the indexer can pick the new messages up). */
  onCommitted?: () => void;
  /** Called once the whole file is read (what is left of the import is short). */
  onParsed?: () => void;
}

type FileRow = { id: number; status: string } & Record<string, unknown>;

const importWorkerUrl = new URL(`./import-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

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
 * already imported (by SHA-256); otherwise runs an import thread that parses and writes it in
 * batched transactions. A crash leaves the file 'importing'; importing it again completes it
 * idempotently.
 *
 * Hashing a gigabyte takes a second of a core: it runs here, in parallel with the import, unless
 * the file could be one already archived (an archived file has the same size) — then first.
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
  const size = fs.statSync(abs).size;
  let sha256 = opts.sha256;
  let resumeFileId: number | undefined;
  if (!sha256 && db.prepare('SELECT 1 FROM files WHERE size = ? LIMIT 1').get(size)) sha256 = (await hashFile(abs)).sha256;
  if (sha256) {
    const row = db.prepare('SELECT * FROM files WHERE sha256 = ?').get(sha256) as FileRow | undefined;
    if (row?.status === 'complete') return { file: resultFromRow(row, filePath, true), rejected: [] };
    resumeFileId = row?.id;
  }
  // The number of the last commit checkpointed here, read by the import thread (see walRestart).
  const checkpointed = new Int32Array(new SharedArrayBuffer(4));
  const job: ImportJob = {
    path: abs, detection, dbPath: opts.dbPath, evidenceDir: opts.evidenceDir, sha256, resumeFileId,
    provenance: opts.provenance ? JSON.stringify(opts.provenance) : undefined,
    cacheMb: Number(process.env.ARCHIVIST_IMPORT_CACHE_MB ?? 16), checkpointed,
  };
  mark('import thread starting');
  const worker = new Worker(importWorkerUrl, {
    workerData: job, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
  });
  const hashed = sha256 ? Promise.resolve(sha256) : hashFile(abs).then((h) => h.sha256);
  if (!sha256) {
    hashed.then(
      (sha) => worker.postMessage({ type: 'sha256', sha256: sha }),
      (err: Error) => worker.postMessage({ type: 'sha256-error', message: err.message }),
    );
  }
  // Copied while the file is parsed; the import thread waits for it before its last commit.
  keepEvidence(abs, hashed, opts.evidenceDir).then(
    (p) => worker.postMessage({ type: 'evidence', path: p }),
    (err: Error) => worker.postMessage({ type: 'evidence-error', message: err.message }),
  );
  return await new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      fn();
    };
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the import stopped unexpectedly (exit ${code})`))));
    worker.on('message', (m: any) => {
      // The last commit is left to the full checkpoint that follows every import.
      if (m.type === 'committed' && m.final) opts.onCommitted?.();
      else if (m.type === 'committed') {
        // PASSIVE: copies what no reader still needs, never waits for (or blocks) the import.
        // Before the indexer is told: a reader that starts on a fully copied WAL reads the
        // database file and does not keep the import's next transaction from restarting the WAL.
        db.pragma('wal_checkpoint(PASSIVE)');
        Atomics.store(checkpointed, 0, m.n);
        mark(`checkpointed commit ${m.n}`);
        opts.onCommitted?.();
      }
      else if (m.type === 'parsed') opts.onParsed?.();
      else if (m.type === 'progress') {
        opts.onProgress?.({
          path: filePath, phase: m.phase, bytes: m.bytes, total_bytes: m.total_bytes, lines: m.lines, messages: m.messages, bytes_per_second: m.bytes_per_second,
        });
      } else if (m.type === 'error') finish(() => reject(new Error(m.message)));
      else if (m.type === 'done') {
        if (m.report) console.error(m.report);
        finish(() => {
          const row = db.prepare('SELECT * FROM files WHERE id = ?').get(m.fileId) as Record<string, unknown>;
          const rejected = (m.rejected as { line: number; offset: number; reason: string }[]).map((r) => ({ file: filePath, ...r }));
          resolve({ file: { ...resultFromRow(row, filePath, false), shape: m.shape as LineShape }, rejected });
        });
      }
    });
  });
}

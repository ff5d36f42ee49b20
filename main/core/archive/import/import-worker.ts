/**
 * The import thread for one file: reads it (gunzip when needed), parses and normalizes entities
 * and writes them into archive.db through its own connection, in large transactions. Parsing and
 * writing share this thread on purpose: handing records to another thread costs ≈ 3 µs each
 * (structured clone on both sides), and the second core is already half busy indexing (indexer
 * thread), hashing (archive worker) and copying the evidence. A separate parse thread was built
 * and measured slower on a 2-core machine (docs/NOTES.md).
 *
 * The file's SHA-256 may arrive while the import runs (the archive worker hashes in parallel when
 * no archived file has this size, so the file cannot be a re-import): the file row carries a
 * provisional key until then, and the final commit waits for it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { openImportDb, type ArchiveDb } from '../db.ts';
import type { Detection } from './detect.ts';
import { parseFile } from './parse-file.ts';
import type { Batch } from './records.ts';
import { ArchiveWriter } from './writer.ts';
import { mark } from './timeline.ts';

export interface ImportJob {
  path: string;
  detection: Detection;
  dbPath: string;
  evidenceDir: string;
  /** Known when the caller hashed first (possible re-import) or the evidence store knew it. */
  sha256?: string;
  /** The row of an interrupted import of this same file, to complete. */
  resumeFileId?: number;
  provenance?: string;
  cacheMb: number;
  /** [0] = the number of the last commit the archive worker has checkpointed. */
  checkpointed?: Int32Array;
}

const job = workerData as ImportJob;
const port = parentPort!;
// Several batches share one transaction: fewer, larger commits. A crash loses at most the open
// transaction, and the re-import redoes it (idempotent).
// ARCHIVIST_IMPORT_COMMIT_EVERY: tests make transactions small to kill an import between commits.
const COMMIT_EVERY = Number(process.env.ARCHIVIST_IMPORT_COMMIT_EVERY) || 100_000;

let shaResolve: (sha: string) => void = () => undefined;
let shaReject: (err: Error) => void = () => undefined;
const sha256: Promise<string> = job.sha256
  ? Promise.resolve(job.sha256)
  : new Promise((resolve, reject) => {
    shaResolve = resolve;
    shaReject = reject;
  });
sha256.catch(() => undefined);
port.on('message', (m: { type: string; sha256?: string; path?: string; message?: string }) => {
  if (m.type === 'sha256') {
    mark('hash received');
    shaResolve(m.sha256!);
  }
  else if (m.type === 'sha256-error') shaReject(new Error(m.message));
  else if (m.type === 'evidence') evidenceResolve(m.path!);
  else if (m.type === 'evidence-error') evidenceReject(new Error(m.message));
});

/** The evidence copy, made by the archive worker (keep-evidence.ts), reported by message. */
let evidenceResolve: (path: string) => void = () => undefined;
let evidenceReject: (err: Error) => void = () => undefined;
const evidenceCopy = new Promise<string>((resolve, reject) => {
  evidenceResolve = resolve;
  evidenceReject = reject;
});
evidenceCopy.catch(() => undefined); // awaited (and reported) at the end

async function run(db: ArchiveDb) {
  mark('import thread running');
  const started = Date.now();
  const size = fs.statSync(job.path).size;
  const begin = () => {
    if (open) return;
    db.exec('BEGIN IMMEDIATE');
    open = true;
  };
  // The file row is written in the first transaction, and no transaction commits before the
  // file's SHA-256 is in it: a kill at any moment leaves either nothing or a row a re-run finds.
  begin();
  let fileId: number;
  if (job.resumeFileId) {
    fileId = job.resumeFileId; // completing an import that was interrupted
    db.prepare('DELETE FROM rejections WHERE file_id = ?').run(fileId);
  } else {
    fileId = Number(db.prepare(
      `INSERT INTO files (sha256, path, size, format, gzip, status, started_at, provenance) VALUES (?,?,?,?,?, 'importing', ?, ?)`,
    ).run(job.sha256 ?? `pending:${crypto.randomUUID()}`, nodePath.resolve(job.path), size, job.detection.format,
      job.detection.gzip ? 1 : 0, new Date().toISOString(), job.provenance ?? null).lastInsertRowid);
  }
  let shaInRow = !!job.sha256;
  // Expected messages from the file size (exports run ≈ 1 KB per message): sizes the Bloom filters.
  const writer = new ArchiveWriter(db, fileId, Math.ceil(size / 800));

  const timings = !!process.env.ARCHIVIST_IMPORT_TIMINGS;
  if (timings) writer.profile();
  let writeMs = 0;
  let commitMs = 0;
  let sinceCommit = 0;
  let commits = 0;
  const commitNow = (final = false) => {
    const t0 = performance.now();
    writer.flushStaged();
    db.exec('COMMIT');
    commitMs += performance.now() - t0;
    open = false;
    sinceCommit = 0;
    port.postMessage({ type: 'committed', n: ++commits, final });
    mark(`commit ${commits}`);
    walRestart.committed(commits);
  };
  // The first commit waits for the hash; writes made meanwhile join it.
  let waitingForHash: Promise<void> | null = null;
  const commit = (final = false): Promise<void> | undefined => {
    if (!open) return undefined;
    if (shaInRow) {
      commitNow(final);
      return undefined;
    }
    if (!waitingForHash) mark('first commit waits for the hash');
    waitingForHash ??= sha256.then((sha) => {
      // Another process importing the same file meanwhile makes this fail (unique): nothing is kept.
      db.prepare('UPDATE files SET sha256 = ? WHERE id = ?').run(sha, fileId);
      shaInRow = true;
      commitNow();
    });
    return waitingForHash;
  };
  const write = (b: Batch): Promise<void> | undefined => {
    sinceCommit += b.messages.length + b.reactions.length + b.members.length + 1;
    if (!walRestart.hold(b)) {
      const t0 = performance.now();
      flushHeld();
      begin();
      writer.write(b);
      writeMs += performance.now() - t0;
    }
    return sinceCommit >= COMMIT_EVERY ? commit() : undefined;
  };
  const flushHeld = () => {
    const held = walRestart.release();
    if (!held.length) return;
    begin();
    for (const q of held) writer.write(q);
  };

  const progress = (phase: 'reading' | 'indexes', bytes: number, lines: number) => {
    const elapsed = (Date.now() - started) / 1000;
    port.postMessage({
      type: 'progress', phase, bytes, total_bytes: size, lines, messages: writer.counts.messages,
      bytes_per_second: phase === 'reading' && elapsed > 0 ? Math.round(bytes / elapsed) : 0,
    });
  };

  {
    let lastProgress = 0;
    const result = await parseFile({ path: job.path, detection: job.detection }, (b) => {
      const now = Date.now();
      if (now - lastProgress >= 100) {
        lastProgress = now;
        progress('reading', b.bytes, b.lines);
      }
      return write(b);
    });
    flushHeld();
    mark('file parsed');
    port.postMessage({ type: 'parsed' });
    progress('reading', result.bytes, result.lines);
    // Commit what was parsed before a bulk load's index build, so the indexer indexes the last
    // batch on the other core meanwhile (the earlier commits of a bulk load have no indexes either).
    if (writer.bulkLoading) {
      await commit();
      progress('indexes', result.bytes, result.lines);
    }
    begin();
    const tf = performance.now();
    writer.finish(); // ends a bulk load: builds the message indexes, places deferred messages
    mark('indexes built');
    writeMs += performance.now() - tf;
    const shapes = result.shapes;
    const shape = job.detection.layout === 'lines' ? (shapes.length === 1 ? shapes[0] : 'mixed') : 'document';
    const sha = await sha256.catch((err: Error) => {
      throw new Error(`the file could not be hashed: ${err.message}`);
    });
    const evidencePath = await evidenceCopy.catch((err: Error) => {
      throw new Error(`the file could not be kept as evidence in ${job.evidenceDir}: ${err.message}`);
    });
    const c = writer.counts;
    const took = Date.now() - started;
    db.prepare(`UPDATE files SET sha256=?, status='complete', imported_at=?, shape=?, evidence_path=?, lines=?, messages=?, new_messages=?,
        new_versions=?, channels=?, users=?, members=?, reactions=?, attachments=?, reads=?, rejected=?, took_ms=? WHERE id=?`)
      .run(sha, new Date().toISOString(), shape, evidencePath, result.lines, c.messages, c.new_messages, c.new_versions, c.channels,
        c.users, c.members, c.reactions, c.attachments, c.reads, c.rejected, took, fileId);
    shaInRow = true;
    await commit(true);
    mark('final commit');
    // Printed by the archive worker: this thread's own output may be cut off when it is ended.
    const report = timings
      ? `[import] total ${took} ms, writer busy ${writeMs.toFixed(0)} ms, commits ${commitMs.toFixed(0)} ms, bulk ${writer.bulkInfo()}\n`
        + '[import] statements: ' + Object.entries(writer.timings).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')
      : undefined;
    const rejected = db.prepare('SELECT line, offset, reason FROM rejections WHERE file_id = ? ORDER BY line LIMIT 10000').all(fileId);
    port.postMessage({ type: 'done', fileId, shape, rejected, report });
  }
}

/**
 * Lets the WAL restart. SQLite rewrites the WAL from its start only when a transaction begins
 * after a checkpoint copied all of it; otherwise a bulk load grows it to ≈ 500 MB at 1M messages,
 * every page freshly allocated by the kernel (expensive on this kind of VM: ≈ 1 s of the import
 * thread), then copied again. The checkpoint runs on the archive worker (off this thread), so
 * after each commit the next transaction waits for it — while parsing goes on: the batches parsed
 * meanwhile are held (a bounded number, for a bounded time) and written once it is done.
 */
const walRestart = {
  waitingFor: 0,
  since: 0,
  held: [] as Batch[],
  heldRecords: 0,
  committed(n: number) {
    if (!job.checkpointed) return;
    this.waitingFor = n;
    this.since = performance.now();
  },
  /** True when `b` was held (the caller writes it later, through release()). */
  hold(b: Batch): boolean {
    if (!this.waitingFor) return false;
    if (Atomics.load(job.checkpointed!, 0) >= this.waitingFor || this.heldRecords >= HOLD_RECORDS
      || performance.now() - this.since > HOLD_MS) {
      this.waitingFor = 0;
      return false;
    }
    this.held.push(b);
    this.heldRecords += b.messages.length + b.reactions.length + b.members.length + 1;
    return true;
  },
  release(): Batch[] {
    const h = this.held;
    this.held = [];
    this.heldRecords = 0;
    this.waitingFor = 0;
    return h;
  },
};
// ≈ 1/4 s of parsing at most: held batches must stay small (they outlive the young generation).
const HOLD_RECORDS = 16_000;
const HOLD_MS = 300;

let open = false;
async function main() {
  const db = openImportDb(job.dbPath, job.cacheMb);
  // Checkpoints (copying WAL pages into archive.db, with fsync) run in the archive worker after
  // each commit, on the other core; here they would stall parsing for seconds per gigabyte.
  db.pragma('wal_autocheckpoint = 0');
  try {
    await run(db);
  } catch (err) {
    if (open) db.exec('ROLLBACK');
    throw err;
  } finally {
    db.close();
  }
}

main().catch((err: Error) => port.postMessage({ type: 'error', message: err.message }));

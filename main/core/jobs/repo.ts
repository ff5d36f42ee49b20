/**
 * SQL for collections, jobs and evidence records in state.db. Every state change is a
 * compare-and-set on the current state, so a job changed elsewhere (cancelled from the CLI while
 * the app runs it) is never overwritten by a runner that did not notice yet.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Rejection } from '../archive/types.ts';
import type {
  CollectionKind,
  CollectionRequest,
  CollectionState,
  EvidenceRecord,
  JobError,
  JobImportCounts,
  JobState,
  JobStep,
  JobView,
} from './types.ts';

export interface CollectionRow {
  id: string;
  kind: CollectionKind;
  profile_id: string;
  label: string | null;
  request_json: string;
  targets_json: string | null;
  state: CollectionState;
  summary: string | null;
  error: string | null;
  report_json: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface JobRow {
  id: string;
  collection_id: string;
  seq: number;
  kind: CollectionKind;
  targets_json: string;
  request_json: string;
  state: JobState;
  step: JobStep | null;
  error_step: JobStep | null;
  error_code: string | null;
  error_message: string | null;
  task_id: string | null;
  task_attempts: number;
  task_failures: number;
  download_attempts: number;
  verify_attempts: number;
  bytes_downloaded: number;
  total_bytes: number | null;
  etag: string | null;
  url_host: string | null;
  downloaded_at: string | null;
  pending_sha256: string | null;
  evidence_sha256: string | null;
  skipped_json: string | null;
  file_stats_json: string | null;
  imported_json: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** Stored in jobs.file_stats_json after verification. */
export interface FileStats {
  format: string;
  gzip: boolean;
  bytes: number;
  entries: number;
  bad_lines: number;
  channels: Record<string, number>;
  users: Record<string, number>;
}

/** Stored in jobs.imported_json after import. */
export interface ImportRecord extends JobImportCounts {
  already_imported: boolean;
  rejections: Rejection[];
  rejections_truncated: boolean;
}

export const WORKING_STATES: readonly JobState[] = ['queued', 'requested', 'waiting', 'downloading', 'verifying', 'importing'];
export const isWorking = (s: JobState): s is JobStep => (WORKING_STATES as readonly string[]).includes(s);

export function newId(prefix: 'col' | 'job'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export class JobsRepo {
  readonly db: Database.Database;
  private now: () => string;

  constructor(db: Database.Database, now: () => string) {
    this.db = db;
    this.now = now;
  }

  // ---- collections -------------------------------------------------------------------------

  insertCollection(c: { id: string; kind: CollectionKind; profile_id: string; label: string | null; request: CollectionRequest; state: CollectionState; targets: string[] | null }): void {
    const t = this.now();
    this.db
      .prepare(
        `INSERT INTO collections (id, kind, profile_id, label, request_json, targets_json, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.id, c.kind, c.profile_id, c.label, JSON.stringify(c.request), c.targets ? JSON.stringify(c.targets) : null, c.state, t, t);
  }

  collection(id: string): CollectionRow | null {
    return (this.db.prepare('SELECT * FROM collections WHERE id = ?').get(id) as CollectionRow | undefined) ?? null;
  }

  collections(): CollectionRow[] {
    return this.db.prepare('SELECT * FROM collections ORDER BY created_at DESC, rowid DESC').all() as CollectionRow[];
  }

  updateCollection(id: string, patch: Partial<Omit<CollectionRow, 'id'>>): void {
    const keys = Object.keys(patch);
    if (!keys.length) return;
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    this.db.prepare(`UPDATE collections SET ${sets}, updated_at = @__t WHERE id = @__id`).run({ ...patch, __t: this.now(), __id: id });
  }

  deleteCollection(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM job_log WHERE job_id IN (SELECT id FROM jobs WHERE collection_id = ?)').run(id);
      this.db.prepare('DELETE FROM jobs WHERE collection_id = ?').run(id);
      this.db.prepare('DELETE FROM collections WHERE id = ?').run(id);
    })();
  }

  // ---- jobs --------------------------------------------------------------------------------

  insertJob(j: { id: string; collection_id: string; seq: number; kind: CollectionKind; targets: string[]; request: Record<string, unknown> }): void {
    const t = this.now();
    this.db
      .prepare(
        `INSERT INTO jobs (id, collection_id, seq, kind, targets_json, request_json, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(j.id, j.collection_id, j.seq, j.kind, JSON.stringify(j.targets), JSON.stringify(j.request), t, t);
    this.log(j.id, 'queued', null);
  }

  job(id: string): JobRow | null {
    return (this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined) ?? null;
  }

  jobsOf(collectionId: string): JobRow[] {
    return this.db.prepare('SELECT * FROM jobs WHERE collection_id = ? ORDER BY seq').all(collectionId) as JobRow[];
  }

  workingJobs(): JobRow[] {
    return this.db
      .prepare(
        `SELECT j.* FROM jobs j JOIN collections c ON c.id = j.collection_id
         WHERE j.state IN ('queued','requested','waiting','downloading','verifying','importing')
         ORDER BY c.created_at, c.rowid, j.seq`,
      )
      .all() as JobRow[];
  }

  /**
   * Moves a job from `from` to `to` (plus field changes) iff it is still in `from`. Returns the
   * new row, or null when someone else changed the job first.
   */
  transition(id: string, from: JobState, to: JobState, patch: Partial<JobRow> = {}, message: string | null = null): JobRow | null {
    const t = this.now();
    const fields: Record<string, unknown> = { ...patch, state: to, updated_at: t };
    if (to === 'done' || to === 'failed' || to === 'cancelled' || to === 'paused') fields.finished_at = t;
    else if (!('finished_at' in patch)) fields.finished_at = null;
    const sets = Object.keys(fields)
      .map((k) => `${k} = @${k}`)
      .join(', ');
    const ok = this.db.transaction(() => {
      const r = this.db.prepare(`UPDATE jobs SET ${sets} WHERE id = @__id AND state = @__from`).run({ ...fields, __id: id, __from: from });
      if (r.changes !== 1) return false;
      if (from !== to) this.log(id, to, message);
      return true;
    })();
    return ok ? this.job(id) : null;
  }

  /** Field updates that do not change state (bytes so far…), also guarded by state. */
  patch(id: string, state: JobState, patch: Partial<JobRow>): boolean {
    const keys = Object.keys(patch);
    if (!keys.length) return true;
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    const r = this.db.prepare(`UPDATE jobs SET ${sets}, updated_at = @__t WHERE id = @__id AND state = @__state`).run({ ...patch, __t: this.now(), __id: id, __state: state });
    return r.changes === 1;
  }

  deleteJob(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM job_log WHERE job_id = ?').run(id);
      this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
    })();
  }

  log(jobId: string, state: string, message: string | null): void {
    this.db.prepare('INSERT INTO job_log (job_id, at, state, message) VALUES (?, ?, ?, ?)').run(jobId, this.now(), state, message);
  }

  jobLog(jobId: string): { at: string; state: string; message: string | null }[] {
    return this.db.prepare('SELECT at, state, message FROM job_log WHERE job_id = ? ORDER BY id').all(jobId) as never;
  }

  // ---- evidence ----------------------------------------------------------------------------

  insertEvidence(r: EvidenceRecord): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO evidence_records (sha256, size, job_id, collection_id, task_id, request_json, url_host, downloaded_at, path)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.sha256, r.size, r.job_id, r.collection_id, r.task_id, JSON.stringify(r.request), r.url_host, r.downloaded_at, r.path);
  }

  evidenceOf(collectionId: string): EvidenceRecord[] {
    const rows = this.db.prepare('SELECT * FROM evidence_records WHERE collection_id = ? ORDER BY id').all(collectionId) as (Omit<EvidenceRecord, 'request'> & { request_json: string })[];
    return rows.map(({ request_json, ...r }) => ({
      sha256: r.sha256,
      size: r.size,
      job_id: r.job_id,
      collection_id: r.collection_id,
      task_id: r.task_id,
      request: JSON.parse(request_json),
      url_host: r.url_host,
      downloaded_at: r.downloaded_at,
      path: r.path,
    }));
  }

  allEvidence(): EvidenceRecord[] {
    const ids = this.db.prepare('SELECT DISTINCT collection_id FROM evidence_records').all() as { collection_id: string }[];
    return ids.flatMap((r) => this.evidenceOf(r.collection_id));
  }
}

export function jobView(r: JobRow): JobView {
  const error: JobError | null =
    r.error_code && r.error_message ? { step: (r.error_step ?? r.step ?? 'queued') as JobStep, code: r.error_code, message: r.error_message } : null;
  const imp = r.imported_json ? (JSON.parse(r.imported_json) as ImportRecord) : null;
  return {
    id: r.id,
    collection_id: r.collection_id,
    seq: r.seq,
    kind: r.kind,
    targets: JSON.parse(r.targets_json),
    state: r.state,
    step: r.state === 'failed' || r.state === 'paused' || r.state === 'cancelled' ? r.step : null,
    error,
    task_id: r.task_id,
    task_attempts: r.task_attempts,
    download_attempts: r.download_attempts,
    bytes_downloaded: r.bytes_downloaded,
    total_bytes: r.total_bytes,
    evidence_sha256: r.evidence_sha256,
    imported: imp ? { lines: imp.lines, messages: imp.messages, new_messages: imp.new_messages, rejected: imp.rejected } : null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    finished_at: r.finished_at,
  };
}

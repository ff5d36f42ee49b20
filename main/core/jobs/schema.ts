/**
 * state.db tables of the job engine and the evidence records. Appended to `stateMigrations`
 * (main/core/state/migrations.ts) as numbered steps; never edit one that has landed.
 */
import type Database from 'better-sqlite3';

/** Collections, jobs and the per-job transition log. */
export function createJobsTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE collections (
      id            TEXT PRIMARY KEY,
      kind          TEXT NOT NULL CHECK (kind IN ('channels','users')),
      profile_id    TEXT NOT NULL,
      label         TEXT,
      request_json  TEXT NOT NULL,
      -- resolved list of cids/user ids once known (NULL while resolving)
      targets_json  TEXT,
      state         TEXT NOT NULL,
      summary       TEXT,
      error         TEXT,
      report_json   TEXT,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL,
      finished_at   TEXT
    );
    CREATE TABLE jobs (
      id                TEXT PRIMARY KEY,
      collection_id     TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
      seq               INTEGER NOT NULL,
      kind              TEXT NOT NULL,
      targets_json      TEXT NOT NULL,
      -- the exact Stream request (body options), also copied into each evidence record
      request_json      TEXT NOT NULL,
      state             TEXT NOT NULL,
      -- failed/paused/cancelled: the step a retry resumes from
      step              TEXT,
      -- where it stopped (may differ from step: a failed Stream task retries from 'queued')
      error_step        TEXT,
      error_code        TEXT,
      error_message     TEXT,
      task_id           TEXT,
      task_attempts     INTEGER NOT NULL DEFAULT 0,
      task_failures     INTEGER NOT NULL DEFAULT 0,
      download_attempts INTEGER NOT NULL DEFAULT 0,
      verify_attempts   INTEGER NOT NULL DEFAULT 0,
      bytes_downloaded  INTEGER NOT NULL DEFAULT 0,
      total_bytes       INTEGER,
      etag              TEXT,
      url_host          TEXT,
      downloaded_at     TEXT,
      -- hash of the verified temporary file, set just before it is moved into evidence/
      pending_sha256    TEXT,
      evidence_sha256   TEXT,
      -- targets Stream refused synchronously (e.g. "Can't find channel"), {target: reason}
      skipped_json      TEXT,
      -- per-target counts read from the verified file (JSON), for the completeness report
      file_stats_json   TEXT,
      imported_json     TEXT,
      created_at        TEXT NOT NULL,
      updated_at        TEXT NOT NULL,
      finished_at       TEXT,
      UNIQUE (collection_id, seq)
    );
    CREATE INDEX jobs_by_state ON jobs(state);
    CREATE TABLE job_log (
      id       INTEGER PRIMARY KEY,
      job_id   TEXT NOT NULL,
      at       TEXT NOT NULL,
      state    TEXT NOT NULL,
      message  TEXT
    );
    CREATE INDEX job_log_by_job ON job_log(job_id);
  `);
}

/**
 * Evidence records: one row per downloaded file per task (the same bytes fetched twice are one
 * file, two records). No foreign key to jobs: removing a job keeps its evidence.
 */
export function createEvidenceTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE evidence_records (
      id             INTEGER PRIMARY KEY,
      sha256         TEXT NOT NULL,
      size           INTEGER NOT NULL,
      job_id         TEXT,
      collection_id  TEXT,
      task_id        TEXT,
      request_json   TEXT NOT NULL,
      url_host       TEXT,
      downloaded_at  TEXT NOT NULL,
      path           TEXT NOT NULL,
      UNIQUE (sha256, job_id, task_id)
    );
    CREATE INDEX evidence_by_sha ON evidence_records(sha256);
    CREATE INDEX evidence_by_collection ON evidence_records(collection_id);
  `);
}

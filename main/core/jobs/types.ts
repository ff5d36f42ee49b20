/**
 * The job engine's public shapes: what the UI (contract), the CLI and the scheduler bind to.
 * Keep this file stable: add optional fields, never rename or remove.
 *
 * Vocabulary:
 * - a **collection** is what the user asked for (channels or users, options, profile);
 * - it is split into **jobs** of at most 25 channels or users (Stream's per-request limit);
 * - each job is a persisted state machine (see JobState) that survives restarts.
 * Times are ISO 8601 UTC strings at this boundary; field names are snake_case like the archive's.
 */

/**
 * queued → requested (task id known) → waiting (polling Stream) → downloading → verifying →
 * importing → done. `failed` and `paused` remember the step they stopped at (`JobView.step`);
 * `paused` is for conditions the user must fix (disk full) and resumes with `retry`.
 */
export type JobState =
  | 'queued'
  | 'requested'
  | 'waiting'
  | 'downloading'
  | 'verifying'
  | 'importing'
  | 'done'
  | 'failed'
  | 'paused'
  | 'cancelled';

/** The working steps, i.e. the states a failed/paused job can stop at and be retried from. */
export type JobStep = 'queued' | 'requested' | 'waiting' | 'downloading' | 'verifying' | 'importing';

export const JOB_STEPS: readonly JobStep[] = ['queued', 'requested', 'waiting', 'downloading', 'verifying', 'importing'];
export const TERMINAL_JOB_STATES: readonly JobState[] = ['done', 'failed', 'paused', 'cancelled'];

export type CollectionKind = 'channels' | 'users';

/**
 * - `resolving`: expanding `--all` / `--filter` into the list of channels (QueryChannels);
 * - `running`: at least one job is still working;
 * - `paused`: nothing is working and at least one job is paused (e.g. disk full);
 * - `complete`: every job is done and every requested channel/user is accounted for;
 * - `incomplete`: everything stopped but something is missing (failed jobs or gaps): see the report;
 * - `cancelled`: the user cancelled it.
 */
export type CollectionState = 'resolving' | 'running' | 'paused' | 'complete' | 'incomplete' | 'cancelled';

/** How the channels of a channel collection are chosen (exactly one). */
export type ChannelSelector =
  | { all: true }
  | { cids: string[] }
  /** QueryChannels filter_conditions, e.g. {"type":"messaging","members":{"$in":["alice"]}}. */
  | { filter: Record<string, unknown> };

export interface ChannelCollectionRequest {
  kind: 'channels';
  profile_id: string;
  channels: ChannelSelector;
  /** RFC 3339; becomes messages_since / messages_until on every channel of the request. */
  since?: string;
  until?: string;
  include_truncated_messages?: boolean;
  include_soft_deleted_channels?: boolean;
  /** Export file version; default 'v2' (line-separated JSON, streams and resumes best). */
  format?: 'v1' | 'v2';
  /** Free text shown in lists and reports (e.g. a matter name). */
  label?: string;
}

export interface UserCollectionRequest {
  kind: 'users';
  profile_id: string;
  user_ids: string[];
  label?: string;
}

export type CollectionRequest = ChannelCollectionRequest | UserCollectionRequest;

export interface JobError {
  /** The step the job was at when it stopped. */
  step: JobStep;
  /** Machine-readable: 'stream_task_failed', 'disk_full', 'download_failed', 'truncated', 'import_refused', 'stream_error', … */
  code: string;
  /** A sentence the user can act on; for Stream-side failures it carries Stream's own reason. */
  message: string;
}

export interface JobImportCounts {
  lines: number;
  messages: number;
  new_messages: number;
  rejected: number;
}

export interface JobView {
  id: string;
  collection_id: string;
  /** 1-based position inside the collection. */
  seq: number;
  kind: CollectionKind;
  /** Channel cids or user ids of this job (≤ 25). */
  targets: string[];
  state: JobState;
  /** For failed/paused: where it stopped and where `retry` resumes. Null otherwise. */
  step: JobStep | null;
  error: JobError | null;
  /** Stream task id once requested. */
  task_id: string | null;
  /** How many Stream tasks were requested for this job (re-requests after failed tasks count). */
  task_attempts: number;
  download_attempts: number;
  bytes_downloaded: number;
  /** Content-Length of the export file once known. */
  total_bytes: number | null;
  /** SHA-256 of the export file once verified and stored as evidence. */
  evidence_sha256: string | null;
  imported: JobImportCounts | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface CollectionTotals {
  jobs: number;
  /** Count of jobs per state (only non-zero states present). */
  by_state: Partial<Record<JobState, number>>;
  targets: number;
  bytes_downloaded: number;
  lines_imported: number;
  messages_imported: number;
  rejected_lines: number;
}

export interface CollectionView {
  id: string;
  kind: CollectionKind;
  profile_id: string;
  label: string | null;
  request: CollectionRequest;
  state: CollectionState;
  /** Why the collection is not complete (missing channels, failed jobs…); null while running or when complete. */
  summary: string | null;
  /** Set when resolving the selector failed. */
  error: string | null;
  totals: CollectionTotals;
  jobs: JobView[];
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** One progress tick. `scope` tells which half is filled. Rates are per second over the last few seconds. */
export type JobProgressEvent =
  | {
      scope: 'job';
      job_id: string;
      collection_id: string;
      state: JobState;
      step: JobStep | null;
      bytes: number;
      total_bytes: number | null;
      bytes_per_second: number;
      lines_imported: number;
      messages_imported: number;
      /** A human note for logs/CLI: "polling task (running)", "URL expired, asking Stream for a fresh one"… */
      message: string | null;
      at: string;
    }
  | {
      scope: 'collection';
      collection_id: string;
      state: CollectionState;
      totals: CollectionTotals;
      at: string;
    };

export interface JobListFilter {
  collection_id?: string;
  /** Only collections/jobs that are not finished. */
  active?: boolean;
}

/** Per-channel (or per-user) completeness line of a report. */
export interface TargetCompleteness {
  /** Channel cid or user id. */
  target: string;
  job_id: string;
  /** Present in the downloaded export file(s). */
  in_file: boolean;
  /** Distinct messages for this channel (or by this user) in the export file. */
  messages_in_file: number;
  /** Messages of this channel (or by this user) from the export file that the archive holds; null if unknown. */
  messages_in_archive: number | null;
  /** 'ok' or what is wrong, in words ('not in the export file', 'archive holds 3 fewer messages', 'job failed: …'). */
  status: 'ok' | 'missing' | 'short' | 'failed' | 'cancelled' | 'pending';
  note: string | null;
}

export interface EvidenceRecord {
  sha256: string;
  size: number;
  job_id: string | null;
  collection_id: string | null;
  task_id: string | null;
  /** The exact request sent to Stream (channels/users, since/until, flags, version). */
  request: Record<string, unknown>;
  /** Host of the download URL only: the signed URL itself is never stored. */
  url_host: string | null;
  downloaded_at: string;
  /** Relative to the data dir, e.g. evidence/ab12…. */
  path: string;
}

export interface CollectionReport {
  report_version: 1;
  generated_at: string;
  app: { name: 'archivist'; version: string; node: string; sqlite: string | null };
  collection: Omit<CollectionView, 'jobs'>;
  jobs: JobView[];
  evidence: EvidenceRecord[];
  targets: TargetCompleteness[];
  rejected: { file_sha256: string; line: number; offset: number; reason: string }[];
  /** Human sentences, one per unexplained gap; empty means complete. */
  gaps: string[];
  complete: boolean;
  /** SHA-256 of this report serialised without this field (custody certificate). */
  report_sha256: string;
}

export type JobEngineEvents = {
  progress: [JobProgressEvent];
};

/**
 * The durable export engine. One per data dir and process; `start()` resumes unfinished jobs,
 * `stop()` lets in-flight steps reach a safe point (everything is persisted as it goes, so a kill
 * is also fine).
 */
export interface JobEngine {
  /** Persists the collection and its jobs (resolving `all`/`filter` through Stream) and schedules them. */
  createCollection(request: CollectionRequest): Promise<CollectionView>;
  /** Collections (newest first), each with its jobs. */
  list(filter?: JobListFilter): CollectionView[];
  /** A collection by id (or the collection that owns a job id). */
  get(id: string): CollectionView | null;
  getJob(jobId: string): JobView | null;
  /** Retry a failed/paused/cancelled job from its step, or every such job of a collection. */
  retry(id: string): JobView[];
  /** Cancel a job or every unfinished job of a collection. Evidence already stored stays. */
  cancel(id: string): JobView[];
  /** Remove a finished job (or a whole finished collection) from the list; its evidence stays. */
  remove(id: string): void;
  /** Completeness report of a collection (also recomputed and stored when it finishes). */
  report(collectionId: string): Promise<CollectionReport>;
  /** Resolves when the collection has nothing left working (complete, incomplete, paused or cancelled). */
  waitFor(collectionId: string, opts?: { signal?: AbortSignal }): Promise<CollectionView>;
  start(): Promise<void>;
  stop(): Promise<void>;
  on<E extends keyof JobEngineEvents>(event: E, listener: (...args: JobEngineEvents[E]) => void): () => void;
}

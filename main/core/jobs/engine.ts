/**
 * The durable export engine: collections split into jobs of ≤ 25 channels/users, each a state
 * machine persisted in state.db after every step, so a kill at any moment loses nothing:
 *
 *   queued → requested → waiting → downloading → verifying → importing → done
 *                                         ↘ failed(step) | paused(step) | cancelled
 *
 * Restart rules (each step is safe to redo):
 * - queued: request a (new) Stream task. A task requested just before a crash is simply orphaned.
 * - requested/waiting: poll the task again. Signed URLs are never persisted; a restart re-polls.
 * - downloading: re-poll for a fresh URL, then resume the partial temp file with Range (or restart).
 * - verifying: re-hash and re-parse the temp file; if it was already moved into evidence/, finish.
 * - importing: re-import the evidence file; the archive's import is idempotent by sha256.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { DownloadError, downloadToFile } from '../evidence/download.ts';
import { verifyFile } from '../evidence/verify.ts';
import { EvidenceStore } from '../evidence/store.ts';
import { AbortedError, Semaphore, backoff, sleep } from './concurrency.ts';
import type { ArchivePort, ChannelExportOptions, ChannelExportSpec, ExportApi, TaskStatusView } from './ports.ts';
import { JobsRepo, isWorking, jobView, newId, type CollectionRow, type FileStats, type ImportRecord, type JobRow } from './repo.ts';
import type {
  ChannelCollectionRequest,
  CollectionReport,
  CollectionRequest,
  CollectionState,
  CollectionTotals,
  CollectionView,
  JobEngine,
  JobEngineEvents,
  JobListFilter,
  JobProgressEvent,
  JobState,
  JobStep,
  JobView,
  TargetCompleteness,
} from './types.ts';

export interface JobLimits {
  /** Channels or users per Stream request (Stream documents 25). */
  batchSize: number;
  /** Stream tasks requested but not yet downloaded. */
  maxTasksInFlight: number;
  /** Concurrent downloads (+ verification, which reads the file right after). */
  maxConcurrentDownloads: number;
  maxConcurrentImports: number;
  pollInitialMs: number;
  pollMaxMs: number;
  pollFactor: number;
  /** Stream tasks that failed on Stream's side before the job is reported failed. */
  maxTaskAttempts: number;
  /** Dropped connections per download before the job fails. */
  maxDownloadAttempts: number;
  /** Fresh URLs asked for in a row after refusals before the job fails. */
  maxUrlRefreshes: number;
  /** Downloads that turned out truncated/invalid before the job fails. */
  maxVerifyAttempts: number;
  /** Retryable Stream errors (after the client's own retries) per call before the job fails. */
  maxTransientErrors: number;
  retryBaseMs: number;
  retryMaxMs: number;
  downloadTimeoutMs: number;
  /** Progress event throttle. */
  progressIntervalMs: number;
  /** How often the engine looks at state.db for work changed by another process (CLI). */
  tickMs: number;
}

export const DEFAULT_LIMITS: JobLimits = {
  batchSize: 25,
  maxTasksInFlight: 20,
  maxConcurrentDownloads: 4,
  maxConcurrentImports: 1,
  pollInitialMs: 1000,
  pollMaxMs: 5000,
  pollFactor: 1.5,
  maxTaskAttempts: 3,
  maxDownloadAttempts: 8,
  maxUrlRefreshes: 5,
  maxVerifyAttempts: 4,
  maxTransientErrors: 8,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  downloadTimeoutMs: 60_000,
  progressIntervalMs: 250,
  tickMs: 1000,
};

/** Test and embedding hooks. `onTransition` runs right after a state change was committed. */
export interface JobHooks {
  onTransition?: (job: JobView, from: JobState) => void;
  onDownloadBytes?: (job: JobView, bytesOnDisk: number) => void;
  /** Fault injection: may throw (e.g. an ENOSPC error) before a chunk is written. */
  beforeWrite?: (jobId: string, offset: number, length: number) => void;
}

export interface JobEngineOptions {
  dataDir: string;
  /** state.db, migrated (stateMigrations include the jobs and evidence tables). */
  db: Database.Database;
  archive: ArchivePort;
  /** The Stream connection for a profile (secret resolved by the caller). */
  api: (profileId: string) => Promise<ExportApi> | ExportApi;
  limits?: Partial<JobLimits>;
  hooks?: JobHooks;
  appVersion?: string;
  now?: () => Date;
}

type FileCounts = { channels: Map<string, number>; users: Map<string, number> };

/** A step could not complete: becomes failed/paused with this information. */
class StepFailure extends Error {
  code: string;
  resumeFrom: JobStep | null;
  pause: boolean;
  constructor(code: string, message: string, opts: { resumeFrom?: JobStep; pause?: boolean } = {}) {
    super(message);
    this.code = code;
    this.resumeFrom = opts.resumeFrom ?? null;
    this.pause = opts.pause ?? false;
  }
}

/** Stream no longer knows the task (expired after 60 days, or lost): request a new one. */
class TaskGone extends Error {}

interface Runner {
  abort: AbortController;
  promise: Promise<void>;
}

interface Live {
  bytes: number;
  total: number | null;
  rate: number;
  lastT: number;
  lastBytes: number;
  lines: number;
  messages: number;
  lastEmit: number;
  message: string | null;
}

const TASK_STATES: readonly JobState[] = ['queued', 'requested', 'waiting'];

function appVersionFromPackage(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version ?? 'dev');
  } catch {
    return 'dev';
  }
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function isoOrThrow(v: string | undefined, name: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new Error(`${name} is not a valid date: ${v}`);
  return d.toISOString();
}

export function createJobEngine(opts: JobEngineOptions): JobEngine & JobEngineImpl {
  return new JobEngineImpl(opts);
}

export class JobEngineImpl implements JobEngine {
  readonly limits: JobLimits;
  readonly repo: JobsRepo;
  readonly store: EvidenceStore;
  private opts: JobEngineOptions;
  private emitter = new EventEmitter();
  private runners = new Map<string, Runner>();
  private urls = new Map<string, string>();
  private live = new Map<string, Live>();
  private apis = new Map<string, Promise<ExportApi>>();
  private taskSlots: Semaphore;
  private downloadSlots: Semaphore;
  private importSlots: Semaphore;
  private finishing = new Map<string, Promise<void>>();
  private resolving = new Set<string>();
  private lastCollectionEmit = new Map<string, number>();
  /**
   * What the archive holds from each evidence file, counted right after its import: the archive is
   * append-only, so the figure is final then, and the report at the end need not count every file.
   */
  private fileCounts = new Map<string, Promise<FileCounts | null>>();
  /** When Stream accepted each job's current task (local clock), to aim its polls. */
  private requestedAt = new Map<string, number>();
  /** How long recent tasks took on Stream's side (its created_at → updated_at), per connection and kind. */
  private taskDurations = new WeakMap<ExportApi, Record<string, number[]>>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  /** Another live process runs the jobs of this data dir: we only read and write state.db. */
  observer = false;
  private lockFile: string;
  private ownsLock = false;
  private now: () => Date;

  constructor(opts: JobEngineOptions) {
    this.opts = opts;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? (() => new Date());
    this.repo = new JobsRepo(opts.db, () => this.now().toISOString());
    this.store = new EvidenceStore(opts.dataDir);
    this.taskSlots = new Semaphore(this.limits.maxTasksInFlight);
    this.downloadSlots = new Semaphore(this.limits.maxConcurrentDownloads);
    this.importSlots = new Semaphore(this.limits.maxConcurrentImports);
    this.emitter.setMaxListeners(0);
    this.lockFile = path.join(opts.dataDir, 'jobs.lock');
  }

  // ---- public API ----------------------------------------------------------------------------

  on<E extends keyof JobEngineEvents>(event: E, listener: (...args: JobEngineEvents[E]) => void): () => void {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...a: unknown[]) => void);
  }

  async createCollection(request: CollectionRequest): Promise<CollectionView> {
    const req = this.normalizeRequest(request);
    const id = newId('col');
    let targets: string[] | null = null;
    if (req.kind === 'users') targets = req.user_ids;
    else if ('cids' in req.channels) targets = req.channels.cids;
    this.repo.db.transaction(() => {
      this.repo.insertCollection({
        id,
        kind: req.kind,
        profile_id: req.profile_id,
        label: req.label ?? null,
        request: req,
        state: targets ? 'running' : 'resolving',
        targets,
      });
      if (targets) this.createJobs(id, req, targets);
    })();
    if (!targets) await this.resolve(id);
    else void this.refreshCollection(id);
    this.kick();
    return this.get(id)!;
  }

  list(filter: JobListFilter = {}): CollectionView[] {
    let rows = this.repo.collections();
    if (filter.collection_id) rows = rows.filter((r) => r.id === filter.collection_id);
    if (filter.active) rows = rows.filter((r) => r.state === 'resolving' || r.state === 'running' || r.state === 'paused');
    return rows.map((r) => this.collectionView(r));
  }

  get(id: string): CollectionView | null {
    let row = this.repo.collection(id);
    if (!row) {
      const j = this.repo.job(id);
      if (j) row = this.repo.collection(j.collection_id);
    }
    return row ? this.collectionView(row) : null;
  }

  getJob(jobId: string): JobView | null {
    const r = this.repo.job(jobId);
    return r ? jobView(r) : null;
  }

  retry(id: string): JobView[] {
    const col = this.repo.collection(id);
    const rows = col ? this.repo.jobsOf(id) : [this.repo.job(id)].filter((r): r is JobRow => !!r);
    if (!col && !rows.length) throw new Error(`No collection or job with id ${id}.`);
    if (col && col.state === 'incomplete' && col.error && !col.targets_json) {
      // Resolving the channel list failed: try again.
      this.repo.updateCollection(id, { state: 'resolving', error: null, summary: null, finished_at: null });
      void this.resolve(id).then(() => this.kick());
      return [];
    }
    const out: JobView[] = [];
    for (const r of rows) {
      if (r.state !== 'failed' && r.state !== 'paused' && r.state !== 'cancelled') continue;
      const to: JobStep = r.step ?? 'queued';
      const n = this.repo.transition(
        r.id,
        r.state,
        to,
        { step: null, error_step: null, error_code: null, error_message: null, task_failures: 0, download_attempts: 0, verify_attempts: 0, ...(to === 'queued' ? { task_id: null } : {}) },
        `retry from ${to}`,
      );
      if (n) {
        out.push(jobView(n));
        this.emitJob(n, `retrying from ${to}`);
      }
    }
    const cid = col ? col.id : rows[0]?.collection_id;
    if (cid && out.length) {
      this.repo.updateCollection(cid, { state: 'running', summary: null, finished_at: null });
      this.emitCollection(cid, true);
    }
    this.kick();
    return out;
  }

  cancel(id: string): JobView[] {
    const col = this.repo.collection(id);
    const rows = col ? this.repo.jobsOf(id) : [this.repo.job(id)].filter((r): r is JobRow => !!r);
    if (!col && !rows.length) throw new Error(`No collection or job with id ${id}.`);
    const out: JobView[] = [];
    for (const r of rows) {
      if (!isWorking(r.state) && r.state !== 'paused' && r.state !== 'failed') continue;
      const step = (isWorking(r.state) ? r.state : r.step ?? 'queued') as JobStep;
      const n = this.repo.transition(r.id, r.state, 'cancelled', { step }, 'cancelled by the user');
      if (!n) continue;
      out.push(jobView(n));
      const runner = this.runners.get(r.id);
      runner?.abort.abort();
      // Only while still cancelled: a retry in the meantime owns the temporary file again.
      const cleanup = () =>
        this.repo.job(r.id)?.state === 'cancelled' ? fs.rm(this.store.tmpFile(`${r.id}.part`), { force: true }).catch(() => {}) : undefined;
      if (runner) void runner.promise.finally(cleanup);
      else void cleanup();
      this.emitJob(n, 'cancelled');
    }
    if (col) {
      if (col.state === 'resolving') this.repo.updateCollection(id, { state: 'cancelled', finished_at: this.now().toISOString() });
      else if (rows.length && rows.every((r) => this.repo.job(r.id)?.state === 'cancelled' || this.repo.job(r.id)?.state === 'done')) {
        this.repo.updateCollection(id, { state: 'cancelled', summary: 'cancelled by the user', finished_at: this.now().toISOString() });
      }
      this.emitCollection(id, true);
    } else if (rows[0]) void this.refreshCollection(rows[0].collection_id);
    return out;
  }

  remove(id: string): void {
    const col = this.repo.collection(id);
    if (col) {
      const busy = this.repo.jobsOf(id).filter((j) => isWorking(j.state));
      if (busy.length || col.state === 'resolving') throw new Error(`Collection ${id} is still running: cancel it first.`);
      for (const j of this.repo.jobsOf(id)) void fs.rm(this.store.tmpFile(`${j.id}.part`), { force: true }).catch(() => {});
      this.repo.deleteCollection(id);
      return;
    }
    const job = this.repo.job(id);
    if (!job) throw new Error(`No collection or job with id ${id}.`);
    if (isWorking(job.state)) throw new Error(`Job ${id} is still ${job.state}: cancel it first.`);
    void fs.rm(this.store.tmpFile(`${id}.part`), { force: true }).catch(() => {});
    this.repo.deleteJob(id);
    if (!this.repo.jobsOf(job.collection_id).length) this.repo.deleteCollection(job.collection_id);
    else void this.refreshCollection(job.collection_id, true);
  }

  async report(collectionId: string): Promise<CollectionReport> {
    const c = this.repo.collection(collectionId) ?? (() => {
      const j = this.repo.job(collectionId);
      return j ? this.repo.collection(j.collection_id) : null;
    })();
    if (!c) throw new Error(`No collection with id ${collectionId}.`);
    if (c.report_json && (c.state === 'complete' || c.state === 'incomplete')) return JSON.parse(c.report_json) as CollectionReport;
    return this.buildReport(c.id);
  }

  async waitFor(collectionId: string, o: { signal?: AbortSignal } = {}): Promise<CollectionView> {
    for (;;) {
      const v = this.get(collectionId);
      if (!v) throw new Error(`No collection with id ${collectionId}.`);
      const finishing = this.finishing.get(v.id);
      if (v.state !== 'resolving' && v.state !== 'running' && !finishing) return v;
      if (o.signal?.aborted) throw new AbortedError();
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          off();
          o.signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, this.limits.tickMs);
        const off = this.on('progress', (e) => {
          if (e.scope === 'collection' && e.collection_id === v.id && e.state !== 'running' && e.state !== 'resolving') done();
        });
        // The report is being stored: look again as soon as that settles, not a tick later.
        void finishing?.then(done, done);
        o.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.store.init();
    this.observer = !(await this.acquireLock());
    if (!this.observer) {
      // Every report names the SQLite version; ask now, not while a collection is finishing.
      void this.opts.archive.sqliteVersion?.().catch(() => null);
      for (const c of this.repo.collections()) {
        if (c.state === 'resolving') void this.resolve(c.id).then(() => this.kick());
      }
      // Collections that were finishing when the process died.
      for (const c of this.repo.collections()) {
        if (c.state === 'running' || c.state === 'paused') void this.refreshCollection(c.id);
      }
    }
    this.kick();
    this.timer = setInterval(() => this.tick(), this.limits.tickMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.started = false;
    const runners = [...this.runners.values()];
    for (const r of runners) r.abort.abort();
    await Promise.allSettled(runners.map((r) => r.promise));
    await Promise.allSettled([...this.finishing.values()]);
    for (const p of this.apis.values()) {
      const api = await p.catch(() => null);
      await api?.close?.();
    }
    this.apis.clear();
    if (this.ownsLock) {
      await fs.rm(this.lockFile, { force: true });
      this.ownsLock = false;
    }
  }

  // ---- scheduling ----------------------------------------------------------------------------

  private async acquireLock(): Promise<boolean> {
    await fs.mkdir(this.opts.dataDir, { recursive: true });
    for (let i = 0; i < 3; i++) {
      try {
        const h = await fs.open(this.lockFile, 'wx');
        await h.writeFile(String(process.pid));
        await h.close();
        this.ownsLock = true;
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(await fs.readFile(this.lockFile, 'utf8').catch(() => ''));
        if (pid && pid !== process.pid && alive(pid)) return false;
        // Stale lock of a killed process (or our own from an earlier engine in this process).
        await fs.rm(this.lockFile, { force: true });
      }
    }
    return false;
  }

  private kick(): void {
    if (!this.started || this.observer) return;
    for (const row of this.repo.workingJobs()) {
      if (!this.runners.has(row.id)) this.spawn(row.id);
    }
  }

  private tick(): void {
    if (this.observer) {
      for (const c of this.repo.collections()) if (c.state === 'running') this.emitCollection(c.id, false);
      return;
    }
    // Runners of jobs changed by another process (cancel from the CLI).
    for (const [id, r] of this.runners) {
      const row = this.repo.job(id);
      if (!row || !isWorking(row.state)) r.abort.abort();
    }
    this.kick();
    for (const c of this.repo.collections()) {
      if (c.state === 'running' && !this.finishing.has(c.id) && !this.repo.jobsOf(c.id).some((j) => isWorking(j.state))) {
        void this.refreshCollection(c.id);
      }
    }
  }

  private spawn(id: string): void {
    const abort = new AbortController();
    const runner: Runner = { abort, promise: Promise.resolve() };
    this.runners.set(id, runner);
    runner.promise = this.runJob(id, abort.signal).finally(() => {
      if (this.runners.get(id) === runner) this.runners.delete(id);
      this.live.delete(id);
      this.requestedAt.delete(id);
      const row = this.repo.job(id);
      if (row) {
        if (isWorking(row.state) && this.started && !abort.signal.aborted) this.kick();
        else void this.refreshCollection(row.collection_id);
      }
    });
  }

  private async runJob(id: string, signal: AbortSignal): Promise<void> {
    let taskSlot: (() => void) | null = null;
    let dlSlot: (() => void) | null = null;
    try {
      for (;;) {
        const job = this.repo.job(id);
        if (!job || !isWorking(job.state) || signal.aborted) return;
        if (TASK_STATES.includes(job.state)) {
          if (!taskSlot) taskSlot = await this.taskSlots.acquire(signal);
        } else if (taskSlot) {
          taskSlot();
          taskSlot = null;
        }
        if (job.state === 'downloading' || job.state === 'verifying') {
          if (!dlSlot) dlSlot = await this.downloadSlots.acquire(signal);
        } else if (dlSlot) {
          dlSlot();
          dlSlot = null;
        }
        const fresh = this.repo.job(id);
        if (!fresh || fresh.state !== job.state) continue;
        try {
          const moved = await this.step(fresh, signal);
          if (!moved) return;
        } catch (err) {
          if (err instanceof AbortedError || signal.aborted) return;
          const cur = this.repo.job(id);
          if (!cur || !isWorking(cur.state)) return;
          if (err instanceof StepFailure) this.stopJob(cur, err);
          else this.stopJob(cur, new StepFailure('internal', `unexpected error: ${(err as Error)?.message ?? String(err)}`));
          return;
        }
      }
    } finally {
      taskSlot?.();
      dlSlot?.();
    }
  }

  /** Runs the current step; returns whether the job moved (and the loop should go on). */
  private async step(job: JobRow, signal: AbortSignal): Promise<boolean> {
    switch (job.state) {
      case 'queued':
        return this.doRequest(job, signal);
      case 'requested':
        return !!this.move(job, 'waiting', {}, 'polling the Stream task');
      case 'waiting':
        return this.doPoll(job, signal);
      case 'downloading':
        return this.doDownload(job, signal);
      case 'verifying':
        return this.doVerify(job);
      case 'importing':
        return this.doImport(job, signal);
      default:
        return false;
    }
  }

  // ---- steps ----------------------------------------------------------------------------------

  private async doRequest(job: JobRow, signal: AbortSignal): Promise<boolean> {
    const api = await this.apiFor(job);
    const req = JSON.parse(job.request_json) as Record<string, unknown>;
    const skipped: Record<string, string> = job.skipped_json ? JSON.parse(job.skipped_json) : {};
    const { channels, ...options } = req as { channels?: ChannelExportSpec[] };
    const wanted = (channels ?? []).filter((c) => !(c.cid in skipped));
    if (job.kind === 'channels' && !wanted.length) {
      throw new StepFailure('stream_error', `Stream refused every channel of this job: ${Object.values(skipped)[0] ?? 'unknown reason'}`, { resumeFrom: 'queued' });
    }
    let res: { task_id: string };
    try {
      res = await this.callStream(api, signal, () =>
        job.kind === 'users' ? api.exportUsers(req.user_ids as string[]) : api.exportChannels(wanted, options as unknown as ChannelExportOptions),
      );
    } catch (err) {
      // One unknown/deleted channel makes Stream refuse the whole batch: leave it out (the
      // report lists it with Stream's words) and ask again for the others.
      const unknown =
        err instanceof StepFailure && job.kind === 'channels' && /Can't find channel/.test(err.message)
          ? wanted.filter((c) => err.message.includes(c.cid)).sort((a, b) => b.cid.length - a.cid.length)[0]?.cid
          : undefined;
      if (unknown) {
        skipped[unknown] = err instanceof Error ? err.message : String(err);
        this.repo.patch(job.id, 'queued', { skipped_json: JSON.stringify(skipped) });
        this.repo.log(job.id, 'queued', `Stream does not know ${unknown}; exporting the other channels`);
        return true;
      }
      throw err;
    }
    this.requestedAt.set(job.id, Date.now());
    return !!this.move(job, 'requested', { task_id: res.task_id, task_attempts: job.task_attempts + 1 }, `Stream task ${res.task_id}`);
  }

  private async doPoll(job: JobRow, signal: AbortSignal): Promise<boolean> {
    const api = await this.apiFor(job);
    // Exports usually finish within seconds: poll at the initial pace a few times, then back off.
    let delay = this.limits.pollInitialMs;
    const requestedAt = this.requestedAt.get(job.id);
    this.requestedAt.delete(job.id);
    let shift = requestedAt === undefined ? 0 : this.pollShift(api, job.kind, Date.now() - requestedAt);
    for (let n = 1; ; n++) {
      await sleep(delay + shift, signal);
      shift = 0;
      if (n >= 5) delay = Math.min(this.limits.pollMaxMs, delay * this.limits.pollFactor);
      const cur = this.repo.job(job.id);
      if (!cur || cur.state !== 'waiting') return false;
      let st;
      try {
        st = await this.callStream(api, signal, () => api.getTask(job.task_id!, job.kind));
      } catch (err) {
        if (err instanceof TaskGone) return !!this.move(cur, 'queued', { task_id: null }, 'Stream no longer knows the task; requesting a new export');
        throw err;
      }
      if (st.status === 'completed') {
        if (!st.url) throw new StepFailure('stream_error', `Stream reported task ${job.task_id} completed without a download URL.`, { resumeFrom: 'waiting' });
        this.noteTaskDuration(api, job.kind, st);
        this.urls.set(job.id, st.url);
        return !!this.move(cur, 'downloading', {}, 'export ready');
      }
      if (st.status === 'failed' || st.status === 'canceled' || st.status === 'cancelled') {
        return this.taskFailed(cur, st.error);
      }
      this.emitJob(cur, `Stream task ${st.status}`);
    }
  }

  /**
   * Delay (ms) added once before the first poll so that one poll of the usual cadence lands just
   * after the moment recent tasks of this kind took to complete. Same number of polls and the same
   * ≥ pollInitialMs spacing (Stream asks for ≥ 1 s); a task that is faster than usual is found at
   * most `shift` later, one that takes as long as usual is found right away rather than up to a
   * whole interval later.
   */
  private pollShift(api: ExportApi, kind: string, elapsedMs: number): number {
    const recent = this.taskDurations.get(api)?.[kind];
    if (!recent?.length) return 0;
    const aim = Math.max(...recent) + 25 - elapsedMs;
    let at = 0;
    let delay = this.limits.pollInitialMs;
    for (let n = 1; n <= 100; n++) {
      const next = at + delay;
      if (next > aim) return n === 1 ? 0 : Math.round(aim - at);
      at = next;
      if (n >= 5) delay = Math.min(this.limits.pollMaxMs, delay * this.limits.pollFactor);
    }
    return 0;
  }

  private noteTaskDuration(api: ExportApi, kind: string, st: TaskStatusView): void {
    const ms = Date.parse(st.updated_at ?? '') - Date.parse(st.created_at ?? '');
    if (!Number.isFinite(ms) || ms <= 0 || ms > 10 * 60_000) return;
    let byKind = this.taskDurations.get(api);
    if (!byKind) this.taskDurations.set(api, (byKind = {}));
    const recent = (byKind[kind] ??= []);
    recent.push(ms);
    if (recent.length > 8) recent.shift();
  }

  /** The archive's count for an imported file; a failed or unknown count is asked again next time. */
  private countFile(sha256: string): Promise<FileCounts | null> {
    let p = this.fileCounts.get(sha256);
    if (!p) {
      p = this.opts.archive.countFileMessages(sha256).catch(() => null);
      this.fileCounts.set(sha256, p);
      void p.then((r) => {
        if (!r && this.fileCounts.get(sha256) === p) this.fileCounts.delete(sha256);
      });
    }
    return p;
  }

  private taskFailed(job: JobRow, error: { type: string; description: string } | null): boolean {
    const reason = error ? `${error.description || 'no description'}${error.type ? ` (${error.type})` : ''}` : 'no reason given';
    const failures = job.task_failures + 1;
    if (failures < this.limits.maxTaskAttempts) {
      return !!this.move(job, 'queued', { task_id: null, task_failures: failures }, `Stream task ${job.task_id} failed: ${reason}; requesting a new export`);
    }
    throw new StepFailure('stream_task_failed', `Stream could not export ${job.kind === 'users' ? 'these users' : 'these channels'} (task ${job.task_id}, ${failures} attempts): ${reason}`, {
      resumeFrom: 'queued',
    });
  }

  /** A fresh signed URL for a completed task (URLs are never persisted). */
  private async freshUrl(job: JobRow, signal: AbortSignal): Promise<string | 'requeue'> {
    const api = await this.apiFor(job);
    let st;
    try {
      st = await this.callStream(api, signal, () => api.getTask(job.task_id!, job.kind));
    } catch (err) {
      if (err instanceof TaskGone) return 'requeue';
      throw err;
    }
    if (st.status === 'completed' && st.url) {
      this.urls.set(job.id, st.url);
      return st.url;
    }
    return 'requeue';
  }

  private async doDownload(job: JobRow, signal: AbortSignal): Promise<boolean> {
    if (!job.task_id) return !!this.move(job, 'queued', {}, 'no task id; requesting the export again');
    const tmp = this.store.tmpFile(`${job.id}.part`);
    let refreshes = 0;
    let attempts = job.download_attempts;
    let url = this.urls.get(job.id) ?? null;
    const live = this.liveOf(job.id);
    let lastPersist = 0;
    for (;;) {
      if (!url) {
        const u = await this.freshUrl(job, signal);
        if (u === 'requeue') return !!this.move(job, 'queued', { task_id: null, bytes_downloaded: 0, etag: null }, 'the export is no longer available; requesting it again');
        url = u;
      }
      try {
        const res = await downloadToFile({
          url,
          file: tmp,
          etag: this.repo.job(job.id)?.etag ?? null,
          signal,
          timeoutMs: this.limits.downloadTimeoutMs,
          beforeWrite: this.opts.hooks?.beforeWrite ? (o, l) => this.opts.hooks!.beforeWrite!(job.id, o, l) : undefined,
          onStart: ({ total, etag }) => {
            this.repo.patch(job.id, 'downloading', { total_bytes: total, etag });
            live.total = total;
          },
          onBytes: (bytes, total) => {
            this.sampleBytes(live, bytes, total);
            const t = Date.now();
            if (t - lastPersist > 1000) {
              lastPersist = t;
              this.repo.patch(job.id, 'downloading', { bytes_downloaded: bytes });
            }
            this.opts.hooks?.onDownloadBytes?.(jobView({ ...job, bytes_downloaded: bytes }), bytes);
            this.maybeEmitJob(job.id, null);
          },
        });
        const urlHost = new URL(url).host;
        this.urls.delete(job.id);
        return !!this.move(job, 'verifying', {
          bytes_downloaded: res.bytes,
          // Stays null when the server did not announce a size: verification then asks for a
          // second download with the same hash before trusting the file.
          total_bytes: res.total,
          etag: res.etag,
          url_host: urlHost,
          downloaded_at: this.now().toISOString(),
          download_attempts: attempts,
        }, `downloaded ${res.bytes} bytes${res.resumedFrom ? ` (resumed at ${res.resumedFrom})` : ''}`);
      } catch (err) {
        if (!(err instanceof DownloadError)) throw err;
        switch (err.kind) {
          case 'aborted':
            throw new AbortedError();
          case 'disk_full':
            throw new StepFailure('disk_full', `${err.message} (${this.store.tmpDir})`, { resumeFrom: 'downloading', pause: true });
          case 'io':
            throw new StepFailure('io_error', err.message, { resumeFrom: 'downloading' });
          case 'expired':
          case 'http':
            // A refused or vanished URL: ask Stream for a freshly signed one.
            this.urls.delete(job.id);
            url = null;
            if (++refreshes > this.limits.maxUrlRefreshes) {
              throw new StepFailure('download_refused', `the export file could not be downloaded: ${err.message}`, { resumeFrom: 'downloading' });
            }
            this.repo.log(job.id, 'downloading', `${err.message}; asking Stream for a fresh URL`);
            this.emitJob(this.repo.job(job.id) ?? job, 'link refused; asking Stream for a fresh one');
            break;
          case 'dropped':
            attempts++;
            this.repo.patch(job.id, 'downloading', { download_attempts: attempts });
            if (attempts > this.limits.maxDownloadAttempts) {
              throw new StepFailure('download_failed', `the download kept failing (${attempts} attempts): ${err.message}`, { resumeFrom: 'downloading' });
            }
            this.repo.log(job.id, 'downloading', `${err.message}; retrying`);
            this.emitJob(this.repo.job(job.id) ?? job, 'connection dropped; resuming');
            await sleep(backoff(attempts - 1, Math.min(this.limits.retryBaseMs, 500), this.limits.retryMaxMs), signal);
            break;
        }
      }
      const cur = this.repo.job(job.id);
      if (!cur || cur.state !== 'downloading') return false;
    }
  }

  private async doVerify(job: JobRow): Promise<boolean> {
    const tmp = this.store.tmpFile(`${job.id}.part`);
    const exists = await fs.access(tmp).then(() => true, () => false);
    if (!exists) {
      // Killed after the rename into evidence/ but before the state change?
      if (job.pending_sha256 && job.file_stats_json && (await this.store.has(job.pending_sha256))) return this.finishVerify(job, job.pending_sha256);
      return !!this.move(job, 'downloading', { bytes_downloaded: 0, etag: null }, 'temporary file missing; downloading again');
    }
    let verified;
    try {
      verified = await verifyFile(tmp);
    } catch (err) {
      // Removed between the check and the read (e.g. a cancelled run's cleanup): download again.
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT' && !/ENOENT/.test(String(e.message))) throw err;
      return !!this.move(job, 'downloading', { bytes_downloaded: 0, etag: null }, 'temporary file missing; downloading again');
    }
    const { sha256, size, inspection: insp } = verified;
    const sizeOk = job.total_bytes === null || size === job.total_bytes;
    if (!sizeOk || !insp.ok) {
      const reason = !sizeOk ? `got ${size} of ${job.total_bytes} bytes` : insp.error!;
      await fs.rm(tmp, { force: true });
      const attempts = job.verify_attempts + 1;
      this.urls.delete(job.id);
      if (attempts >= this.limits.maxVerifyAttempts) {
        throw new StepFailure('truncated', `the export file is incomplete after ${attempts} downloads: ${reason}`, { resumeFrom: 'downloading' });
      }
      return !!this.move(job, 'downloading', { verify_attempts: attempts, bytes_downloaded: 0, etag: null, total_bytes: null }, `incomplete file (${reason}); downloading again`);
    }
    if (job.total_bytes === null && job.pending_sha256 !== sha256) {
      // No announced size (chunked): a body that ended early looks complete. Trust it only once
      // a second download gives the very same bytes.
      await fs.rm(tmp, { force: true });
      const attempts = job.verify_attempts + 1;
      if (attempts >= this.limits.maxVerifyAttempts + 2) {
        throw new StepFailure('unverifiable', `the server never announced the file size and ${attempts} downloads differed`, { resumeFrom: 'downloading' });
      }
      return !!this.move(job, 'downloading', { verify_attempts: attempts, pending_sha256: sha256, bytes_downloaded: 0, etag: null }, 'size not announced; downloading again to confirm the file');
    }
    const stats: FileStats = {
      format: insp.format,
      gzip: insp.gzip,
      bytes: insp.bytes,
      entries: insp.entries,
      bad_lines: insp.bad_lines,
      channels: Object.fromEntries([...insp.channels].map(([k, v]) => [k, v.messages])),
      users: Object.fromEntries([...insp.users].map(([k, v]) => [k, v.messages])),
    };
    if (!this.repo.patch(job.id, 'verifying', { pending_sha256: sha256, file_stats_json: JSON.stringify(stats) })) return false;
    await this.store.promote(tmp, sha256, { hashed: true });
    return this.finishVerify({ ...job, pending_sha256: sha256 }, sha256);
  }

  private finishVerify(job: JobRow, sha256: string): boolean {
    const c = this.repo.collection(job.collection_id)!;
    const moved = this.repo.db.transaction(() => {
      this.repo.insertEvidence({
        sha256,
        size: job.bytes_downloaded || job.total_bytes || 0,
        job_id: job.id,
        collection_id: c.id,
        task_id: job.task_id,
        request: sentRequest(job),
        url_host: job.url_host,
        downloaded_at: job.downloaded_at ?? this.now().toISOString(),
        path: this.store.relativePath(sha256),
      });
      return this.repo.transition(job.id, 'verifying', 'importing', { evidence_sha256: sha256 }, `stored as evidence ${sha256}`);
    })();
    if (moved) this.afterMove(moved, 'verifying', `stored as evidence ${sha256.slice(0, 16)}…; importing`);
    return !!moved;
  }

  private async doImport(job: JobRow, signal: AbortSignal): Promise<boolean> {
    const release = await this.importSlots.acquire(signal);
    try {
      const file = this.store.pathFor(job.evidence_sha256!);
      const live = this.liveOf(job.id);
      let summary;
      let errors = 0;
      for (;;) {
        try {
          summary = await this.opts.archive.importFiles([file], {
            provenance: { job_id: job.id, collection_id: job.collection_id, task_id: job.task_id, evidence_sha256: job.evidence_sha256 },
            onProgress: (p) => {
              live.lines = p.lines;
              live.messages = p.messages;
              this.maybeEmitJob(job.id, null);
            },
          });
          break;
        } catch (err) {
          if (signal.aborted) throw new AbortedError();
          const msg = (err as Error)?.message ?? String(err);
          if (/ENOSPC|SQLITE_FULL|disk is full|no space left/i.test(msg)) {
            throw new StepFailure('disk_full', `The disk is full: the archive could not grow (${msg}). Free some space, then retry the job.`, { resumeFrom: 'importing', pause: true });
          }
          if (++errors >= 3) throw new StepFailure('import_failed', `the archive could not import the file: ${(err as Error).message}`, { resumeFrom: 'importing' });
          await sleep(backoff(errors, this.limits.retryBaseMs, this.limits.retryMaxMs), signal);
        }
      }
      if (summary.refused.length) {
        throw new StepFailure('import_refused', `the archive refused the export file: ${summary.refused[0].reason}`, { resumeFrom: 'importing' });
      }
      const f = summary.files[0];
      const rec: ImportRecord = {
        lines: f?.lines ?? 0,
        messages: f?.messages ?? 0,
        new_messages: f?.new_messages ?? 0,
        rejected: f?.rejected ?? summary.rejected.length,
        already_imported: f?.already_imported ?? false,
        rejections: summary.rejected.slice(0, 1000),
        rejections_truncated: summary.rejected.length > 1000,
      };
      const moved = this.move(job, 'done', { imported_json: JSON.stringify(rec) }, `imported ${rec.messages} messages${rec.rejected ? `, ${rec.rejected} lines rejected` : ''}`);
      if (moved) this.countFile(job.evidence_sha256!);
      return !!moved;
    } finally {
      release();
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async apiFor(job: JobRow): Promise<ExportApi> {
    const c = this.repo.collection(job.collection_id)!;
    return this.apiForProfile(c.profile_id);
  }

  private apiForProfile(profileId: string): Promise<ExportApi> {
    let p = this.apis.get(profileId);
    if (!p) {
      p = Promise.resolve().then(() => this.opts.api(profileId));
      p.catch(() => this.apis.delete(profileId));
      this.apis.set(profileId, p);
    }
    return p.catch((err) => {
      throw new StepFailure('profile', `cannot connect with profile ${profileId}: ${(err as Error).message}`);
    });
  }

  /** Runs a Stream call, retrying what the client classifies as retryable. */
  private async callStream<T>(api: ExportApi, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new AbortedError();
      try {
        return await fn();
      } catch (err) {
        if (signal.aborted) throw new AbortedError();
        const info = api.classifyError(err);
        if (info.kind === 'task_not_found') throw new TaskGone(info.message);
        if (info.kind === 'retryable' && attempt < this.limits.maxTransientErrors) {
          await sleep(backoff(attempt, this.limits.retryBaseMs, this.limits.retryMaxMs), signal);
          continue;
        }
        throw new StepFailure('stream_error', info.message);
      }
    }
  }

  private move(job: JobRow, to: JobState, patch: Partial<JobRow> = {}, message: string | null = null): JobRow | null {
    const n = this.repo.transition(job.id, job.state, to, patch, message);
    if (n) this.afterMove(n, job.state, message);
    return n;
  }

  private afterMove(n: JobRow, from: JobState, message: string | null = null): void {
    this.emitJob(n, message);
    const v = jobView(n);
    this.opts.hooks?.onTransition?.(v, from);
    if (!isWorking(n.state)) void this.refreshCollection(n.collection_id);
  }

  private stopJob(job: JobRow, f: StepFailure): void {
    const stoppedAt = job.state as JobStep;
    const to: JobState = f.pause ? 'paused' : 'failed';
    this.move(job, to, { step: f.resumeFrom ?? stoppedAt, error_step: stoppedAt, error_code: f.code, error_message: f.message }, f.message);
  }

  private createJobs(collectionId: string, req: CollectionRequest, targets: string[]): void {
    chunk(targets, this.limits.batchSize).forEach((batch, i) => {
      let request: Record<string, unknown>;
      if (req.kind === 'users') request = { user_ids: batch };
      else {
        const channels = batch.map((cid) => {
          const spec: ChannelExportSpec = { cid };
          if (req.since) spec.messages_since = req.since;
          if (req.until) spec.messages_until = req.until;
          return spec;
        });
        const options: ChannelExportOptions = {
          version: req.format ?? 'v2',
          include_truncated_messages: !!req.include_truncated_messages,
          include_soft_deleted_channels: !!req.include_soft_deleted_channels,
          clear_deleted_message_text: false,
        };
        request = { channels, ...options };
      }
      this.repo.insertJob({ id: newId('job'), collection_id: collectionId, seq: i + 1, kind: req.kind, targets: batch, request });
    });
  }

  private normalizeRequest(r: CollectionRequest): CollectionRequest {
    if (!r || (r.kind !== 'channels' && r.kind !== 'users')) throw new Error('kind must be "channels" or "users"');
    if (!r.profile_id) throw new Error('profile_id is required');
    if (r.kind === 'users') {
      const ids = [...new Set((r.user_ids ?? []).map((u) => String(u).trim()).filter(Boolean))];
      if (!ids.length) throw new Error('at least one user id is required');
      return { kind: 'users', profile_id: r.profile_id, user_ids: ids, ...(r.label ? { label: r.label } : {}) };
    }
    const sel = r.channels;
    const n = sel ? ['all', 'cids', 'filter'].filter((k) => k in sel).length : 0;
    if (n !== 1) throw new Error('choose exactly one of: all channels, a list of cids, or a filter');
    let channels: ChannelCollectionRequest['channels'];
    if ('cids' in sel) {
      const cids = [...new Set(sel.cids.map((c) => String(c).trim()).filter(Boolean))];
      if (!cids.length) throw new Error('at least one channel cid is required');
      const bad = cids.find((c) => !/^[^:\s]+:[^\s]+$/.test(c));
      if (bad) throw new Error(`"${bad}" is not a channel cid (expected type:id, e.g. messaging:general)`);
      channels = { cids };
    } else if ('filter' in sel) {
      if (typeof sel.filter !== 'object' || sel.filter === null || Array.isArray(sel.filter)) throw new Error('filter must be a JSON object');
      channels = { filter: sel.filter };
    } else channels = { all: true };
    const since = isoOrThrow(r.since, 'since');
    const until = isoOrThrow(r.until, 'until');
    if (since && until && since > until) throw new Error('since is after until');
    const out: ChannelCollectionRequest = { kind: 'channels', profile_id: r.profile_id, channels, format: r.format ?? 'v2' };
    if (r.format && r.format !== 'v1' && r.format !== 'v2') throw new Error('format must be v1 or v2');
    if (since) out.since = since;
    if (until) out.until = until;
    if (r.include_truncated_messages) out.include_truncated_messages = true;
    if (r.include_soft_deleted_channels) out.include_soft_deleted_channels = true;
    if (r.label) out.label = r.label;
    return out;
  }

  /** Expands `all` / `filter` into cids through QueryChannels, then creates the jobs. */
  private async resolve(id: string): Promise<void> {
    if (this.resolving.has(id)) return;
    this.resolving.add(id);
    try {
      const c = this.repo.collection(id);
      if (!c || c.state !== 'resolving') return;
      const req = JSON.parse(c.request_json) as ChannelCollectionRequest;
      const filter = 'filter' in req.channels ? req.channels.filter : {};
      let cids: string[];
      try {
        const api = await this.apiForProfile(c.profile_id);
        const ctl = new AbortController();
        cids = await this.callStream(api, ctl.signal, () => api.listChannelCids(filter));
      } catch (err) {
        this.repo.updateCollection(id, { state: 'incomplete', error: `could not list the channels: ${(err as Error).message}`, finished_at: this.now().toISOString() });
        this.emitCollection(id, true);
        return;
      }
      cids = [...new Set(cids)];
      this.repo.db.transaction(() => {
        const cur = this.repo.collection(id);
        if (!cur || cur.state !== 'resolving') return;
        this.repo.updateCollection(id, { targets_json: JSON.stringify(cids), state: 'running' });
        this.createJobs(id, req, cids);
      })();
      this.emitCollection(id, true);
      if (!cids.length) await this.refreshCollection(id);
    } finally {
      this.resolving.delete(id);
    }
  }

  /** Recomputes a collection's state; when nothing is left working, builds and stores the report. */
  private refreshCollection(id: string, force = false): Promise<void> {
    const prev = this.finishing.get(id) ?? Promise.resolve();
    const next = prev.then(() => this.refreshNow(id, force)).catch(() => {});
    this.finishing.set(id, next);
    void next.finally(() => {
      if (this.finishing.get(id) === next) this.finishing.delete(id);
    });
    return next;
  }

  private async refreshNow(id: string, force: boolean): Promise<void> {
    const c = this.repo.collection(id);
    if (!c || c.state === 'resolving' || !c.targets_json) return;
    const jobs = this.repo.jobsOf(id);
    let state: CollectionState;
    if (jobs.some((j) => isWorking(j.state))) state = 'running';
    else if (jobs.some((j) => j.state === 'paused')) state = 'paused';
    else if (jobs.length && jobs.every((j) => j.state === 'cancelled')) state = 'cancelled';
    else if (c.state === 'cancelled' && jobs.every((j) => j.state === 'cancelled' || j.state === 'done')) state = 'cancelled';
    else state = 'incomplete'; // decided below
    if (state === 'running' || state === 'paused') {
      if (c.state !== state) {
        this.repo.updateCollection(id, { state, summary: state === 'paused' ? pausedSummary(jobs) : null, finished_at: null });
        this.emitCollection(id, true);
      }
      return;
    }
    if (!force && (c.state === 'complete' || c.state === 'incomplete' || c.state === 'cancelled') && c.report_json) return;
    const report = await this.buildReport(id);
    // Jobs may have been retried while the report was being built: then it is running again.
    if (this.repo.jobsOf(id).some((j) => isWorking(j.state))) {
      this.repo.updateCollection(id, { state: 'running', summary: null, finished_at: null });
      this.emitCollection(id, true);
      return;
    }
    if (state !== 'cancelled') state = report.complete ? 'complete' : 'incomplete';
    const g = report.gaps;
    const summary = state === 'cancelled' ? 'cancelled by the user' : report.complete ? null : g.length > 3 ? `${g.slice(0, 3).join('; ')}; and ${g.length - 3} more` : g.join('; ');
    const finishedAt = this.now().toISOString();
    this.repo.updateCollection(id, { state, summary, finished_at: finishedAt });
    const updated = this.repo.collection(id)!;
    const { report_sha256: _old, ...body } = report;
    const { jobs: _jobs, ...collection } = this.collectionView(updated);
    const final = sealReport({ ...body, collection });
    this.repo.updateCollection(id, { report_json: JSON.stringify(final) });
    this.emitCollection(id, true);
  }

  private async buildReport(id: string): Promise<CollectionReport> {
    const c = this.repo.collection(id)!;
    const jobs = this.repo.jobsOf(id);
    const req = JSON.parse(c.request_json) as CollectionRequest;
    const targets: string[] = c.targets_json ? JSON.parse(c.targets_json) : [];
    const jobOf = new Map<string, JobRow>();
    for (const j of jobs) for (const t of JSON.parse(j.targets_json) as string[]) jobOf.set(t, j);
    // Per evidence file: what the archive holds from it (its sightings), by channel and author.
    const shas = [...new Set(jobs.filter((j) => j.state === 'done' && j.evidence_sha256).map((j) => j.evidence_sha256!))];
    const fileCounts = new Map(await Promise.all(shas.map(async (sha) => [sha, await this.countFile(sha)] as const)));
    for (const sha of shas) this.fileCounts.delete(sha);
    const gaps: string[] = [];
    const lines: TargetCompleteness[] = [];
    const failedJobs = new Set<string>();
    for (const t of targets) {
      const j = jobOf.get(t);
      if (!j) {
        lines.push({ target: t, job_id: '', in_file: false, messages_in_file: 0, messages_in_archive: null, status: 'missing', note: 'its job was removed' });
        gaps.push(`${t}: its job was removed before it finished`);
        continue;
      }
      if (j.state !== 'done') {
        const status = j.state === 'cancelled' ? 'cancelled' : j.state === 'failed' || j.state === 'paused' ? 'failed' : 'pending';
        lines.push({ target: t, job_id: j.id, in_file: false, messages_in_file: 0, messages_in_archive: null, status, note: j.error_message ?? j.state });
        if (!failedJobs.has(j.id)) {
          failedJobs.add(j.id);
          const n = (JSON.parse(j.targets_json) as string[]).length;
          gaps.push(
            j.state === 'cancelled'
              ? `job ${j.seq} (${n} ${c.kind}) was cancelled`
              : j.state === 'failed' || j.state === 'paused'
                ? `job ${j.seq} (${n} ${c.kind}) ${j.state} at ${j.error_step ?? j.step}: ${j.error_message}`
                : `job ${j.seq} (${n} ${c.kind}) is still ${j.state}`,
          );
        }
        continue;
      }
      const skipped: Record<string, string> = j.skipped_json ? JSON.parse(j.skipped_json) : {};
      if (t in skipped) {
        lines.push({ target: t, job_id: j.id, in_file: false, messages_in_file: 0, messages_in_archive: null, status: 'missing', note: `Stream refused it: ${skipped[t]}` });
        gaps.push(`${t}: Stream refused to export it: ${skipped[t]}`);
        continue;
      }
      const stats = j.file_stats_json ? (JSON.parse(j.file_stats_json) as FileStats) : null;
      const inFileCounts = c.kind === 'channels' ? stats?.channels : stats?.users;
      const inFile = !!inFileCounts && t in inFileCounts;
      const nFile = inFileCounts?.[t] ?? 0;
      const fc = j.evidence_sha256 ? fileCounts.get(j.evidence_sha256) : null;
      const nArchive = fc ? ((c.kind === 'channels' ? fc.channels : fc.users).get(t) ?? 0) : null;
      const imp = j.imported_json ? (JSON.parse(j.imported_json) as ImportRecord) : null;
      if (!inFile) {
        lines.push({ target: t, job_id: j.id, in_file: false, messages_in_file: 0, messages_in_archive: nArchive, status: 'missing', note: 'not in the export file' });
        gaps.push(
          c.kind === 'channels'
            ? `${t} is not in Stream's export file (task ${j.task_id})${(req as ChannelCollectionRequest).include_soft_deleted_channels ? '' : '; if the channel was deleted, export again with --include-deleted-channels'}`
            : `user ${t} is not in Stream's export file (task ${j.task_id})`,
        );
      } else if (nArchive === null) {
        lines.push({ target: t, job_id: j.id, in_file: true, messages_in_file: nFile, messages_in_archive: null, status: 'short', note: 'the archive has no record of importing this file' });
        gaps.push(`${t}: the archive has no record of importing evidence ${j.evidence_sha256}`);
      } else if (nArchive < nFile) {
        const short = nFile - nArchive;
        const explained = imp && imp.rejected >= short;
        lines.push({
          target: t,
          job_id: j.id,
          in_file: true,
          messages_in_file: nFile,
          messages_in_archive: nArchive,
          status: 'short',
          note: explained ? `${short} messages not archived; the file had ${imp!.rejected} rejected lines (listed below)` : `${short} messages of the file are not in the archive`,
        });
        if (!explained) gaps.push(`${t}: the export file has ${nFile} messages, the archive ${nArchive}`);
      } else {
        lines.push({ target: t, job_id: j.id, in_file: true, messages_in_file: nFile, messages_in_archive: nArchive, status: 'ok', note: null });
      }
    }
    const rejected = jobs.flatMap((j) => {
      const imp = j.imported_json ? (JSON.parse(j.imported_json) as ImportRecord) : null;
      return (imp?.rejections ?? []).map((r) => ({ file_sha256: j.evidence_sha256 ?? '', line: r.line, offset: r.offset, reason: r.reason }));
    });
    if (c.error) gaps.push(c.error);
    const view = this.collectionView(c);
    const { jobs: jobViews, ...collection } = view;
    const body: Omit<CollectionReport, 'report_sha256'> = {
      report_version: 1,
      generated_at: this.now().toISOString(),
      app: {
        name: 'archivist',
        version: this.opts.appVersion ?? appVersionFromPackage(),
        node: process.versions.node,
        sqlite: (await this.opts.archive.sqliteVersion?.().catch(() => null)) ?? null,
      },
      collection,
      jobs: jobViews,
      evidence: this.repo.evidenceOf(id),
      targets: lines,
      rejected,
      gaps,
      complete: gaps.length === 0 && jobs.length > 0 ? jobs.every((j) => j.state === 'done') : gaps.length === 0 && targets.length === 0 && !c.error,
    };
    return sealReport(body);
  }

  private collectionView(c: CollectionRow): CollectionView {
    const jobs = this.repo.jobsOf(c.id);
    const totals: CollectionTotals = {
      jobs: jobs.length,
      by_state: {},
      targets: c.targets_json ? (JSON.parse(c.targets_json) as string[]).length : 0,
      bytes_downloaded: 0,
      lines_imported: 0,
      messages_imported: 0,
      rejected_lines: 0,
    };
    for (const j of jobs) {
      totals.by_state[j.state] = (totals.by_state[j.state] ?? 0) + 1;
      const live = this.live.get(j.id);
      totals.bytes_downloaded += j.state === 'downloading' && live ? live.bytes : j.bytes_downloaded;
      if (j.imported_json) {
        const imp = JSON.parse(j.imported_json) as ImportRecord;
        totals.lines_imported += imp.lines;
        totals.messages_imported += imp.messages;
        totals.rejected_lines += imp.rejected;
      } else if (j.state === 'importing' && live) {
        totals.lines_imported += live.lines;
        totals.messages_imported += live.messages;
      }
    }
    return {
      id: c.id,
      kind: c.kind,
      profile_id: c.profile_id,
      label: c.label,
      request: JSON.parse(c.request_json),
      state: c.state,
      summary: c.summary,
      error: c.error,
      totals,
      jobs: jobs.map(jobView),
      created_at: c.created_at,
      updated_at: c.updated_at,
      finished_at: c.finished_at,
    };
  }

  // ---- progress --------------------------------------------------------------------------------

  private liveOf(id: string): Live {
    let l = this.live.get(id);
    if (!l) {
      l = { bytes: 0, total: null, rate: 0, lastT: Date.now(), lastBytes: 0, lines: 0, messages: 0, lastEmit: 0, message: null };
      this.live.set(id, l);
    }
    return l;
  }

  private sampleBytes(l: Live, bytes: number, total: number | null): void {
    const t = Date.now();
    l.bytes = bytes;
    l.total = total;
    const dt = t - l.lastT;
    if (dt >= 200) {
      const inst = ((bytes - l.lastBytes) * 1000) / dt;
      l.rate = l.rate ? 0.7 * l.rate + 0.3 * inst : inst;
      l.lastT = t;
      l.lastBytes = bytes;
    }
  }

  private maybeEmitJob(id: string, message: string | null): void {
    const l = this.liveOf(id);
    const t = Date.now();
    if (t - l.lastEmit < this.limits.progressIntervalMs) return;
    const row = this.repo.job(id);
    if (row) this.emitJob(row, message);
  }

  private emitJob(row: JobRow, message: string | null): void {
    const l = this.liveOf(row.id);
    l.lastEmit = Date.now();
    if (message) l.message = message;
    const imp = row.imported_json ? (JSON.parse(row.imported_json) as ImportRecord) : null;
    const ev: JobProgressEvent = {
      scope: 'job',
      job_id: row.id,
      collection_id: row.collection_id,
      state: row.state,
      step: row.state === 'failed' || row.state === 'paused' || row.state === 'cancelled' ? row.step : null,
      bytes: row.state === 'downloading' ? l.bytes : row.bytes_downloaded,
      total_bytes: row.total_bytes ?? l.total,
      bytes_per_second: row.state === 'downloading' ? Math.round(l.rate) : 0,
      lines_imported: imp ? imp.lines : l.lines,
      messages_imported: imp ? imp.messages : l.messages,
      message: message ?? null,
      at: this.now().toISOString(),
    };
    this.emitter.emit('progress', ev);
    this.emitCollection(row.collection_id, false);
  }

  private emitCollection(id: string, force: boolean): void {
    const t = Date.now();
    if (!force && t - (this.lastCollectionEmit.get(id) ?? 0) < this.limits.progressIntervalMs) return;
    this.lastCollectionEmit.set(id, t);
    const c = this.repo.collection(id);
    if (!c) return;
    const v = this.collectionView(c);
    this.emitter.emit('progress', { scope: 'collection', collection_id: id, state: v.state, totals: v.totals, at: this.now().toISOString() } satisfies JobProgressEvent);
  }
}

/** The request exactly as sent to Stream (channels Stream refused are left out). */
function sentRequest(job: JobRow): Record<string, unknown> {
  const req = JSON.parse(job.request_json) as Record<string, unknown>;
  const skipped: Record<string, string> = job.skipped_json ? JSON.parse(job.skipped_json) : {};
  if (Array.isArray(req.channels)) req.channels = (req.channels as ChannelExportSpec[]).filter((c) => !(c.cid in skipped));
  return req;
}

/** The report's own hash, over its JSON without the hash field (custody certificate). */
function sealReport(body: Omit<CollectionReport, 'report_sha256'>): CollectionReport {
  const report_sha256 = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return { ...body, report_sha256 };
}

function pausedSummary(jobs: JobRow[]): string {
  const p = jobs.find((j) => j.state === 'paused');
  return p ? `paused: ${p.error_message ?? 'waiting for you'}` : 'paused';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

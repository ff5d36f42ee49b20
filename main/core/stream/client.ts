/**
 * Archivist's Stream export client, on the official `stream-chat` SDK used server side
 * (key + secret; spec §7). It adds what the SDK lacks: a shared per-endpoint rate limiter, retries
 * with capped exponential backoff and jitter (429 honouring X-RateLimit-Reset, 5xx, timeouts,
 * dropped connections), batching (≤ 25 channels/users per request), enumeration past the
 * 1000-offset cap, status with fallback to GetTask, and typed, secret-free errors.
 *
 * Structurally it satisfies main/core/jobs' `ExportApi` port (exportChannels, exportUsers,
 * getTask, listChannelCids, classifyError, close).
 */
import { StreamChat } from 'stream-chat';
import { RateLimiter, abortableSleep, readRateLimitHeaders } from './rate-limiter.ts';
import { StreamError, toStreamError } from './errors.ts';

export const DEFAULT_BASE_URL = 'https://chat.stream-io-api.com';
/** Stream documents 25 channels and 25 users per export request. */
export const MAX_EXPORT_BATCH = 25;
/** Stream documents at most 10,000 messages per user in user exports. */
export const USER_EXPORT_MESSAGE_CAP = 10_000;

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export interface StreamClientOptions {
  apiKey: string;
  apiSecret: string;
  baseURL?: string;
  /** Per-request timeout (ms); default 15 s (the SDK's own default of 3 s is too short for exports). */
  timeoutMs?: number;
  /** Share one limiter per Stream app across clients and the jobs engine. */
  limiter?: RateLimiter;
  retry?: Partial<RetryPolicy>;
  maxChannelsPerRequest?: number;
  maxUsersPerRequest?: number;
  /** Task polling interval (ms); default 1 s (the spec's recommended minimum). */
  pollIntervalMs?: number;
  /** Retries, warnings and fallbacks, for logs (never carries secrets). */
  onEvent?: (e: StreamClientEvent) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export type StreamClientEvent =
  | { type: 'retry'; endpoint: string; attempt: number; delayMs: number; error: StreamError }
  | { type: 'warning'; message: string }
  | { type: 'fallback'; message: string };

export interface ChannelExportSpec {
  cid: string;
  messages_since?: string;
  messages_until?: string;
}

export interface ChannelExportOptions {
  version: 'v1' | 'v2';
  include_truncated_messages: boolean;
  include_soft_deleted_channels: boolean;
  /** Archivist never blanks deleted text: legal holds need it. Always sent as false. */
  clear_deleted_message_text?: false;
}

export interface TaskStatusView {
  status: string;
  url: string | null;
  error: { type: string; description: string } | null;
  created_at?: string;
  updated_at?: string;
}

export interface ChannelInfo {
  cid: string;
  id: string;
  type: string;
  created_at: string;
  name?: string;
  last_message_at?: string | null;
  member_count?: number;
  [field: string]: unknown;
}

export interface UserInfo {
  id: string;
  name?: string;
  role?: string;
  created_at?: string;
  [field: string]: unknown;
}

export interface ExportBatchResult {
  kind: 'channels' | 'users';
  /** cids or user ids of this batch. */
  ids: string[];
  task_id: string;
  url: string;
  /** Tasks requested for this batch (more than 1 when Stream failed a task). */
  attempts: number;
}

const TERMINAL = new Set(['completed', 'failed', 'canceled']);

function endpointFor(url: string | undefined): string {
  const p = (url ?? '').replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0];
  if (/\/export_channels\/[^/]+$/.test(p)) return 'GetExportChannelsStatus';
  if (p.endsWith('/export_channels')) return 'ExportChannels';
  if (p.endsWith('/export/users')) return 'ExportUsers';
  if (/\/tasks\/[^/]+$/.test(p)) return 'GetTask';
  if (/\/users\/[^/]+\/export$/.test(p)) return 'ExportUser';
  if (p.endsWith('/channels')) return 'QueryChannels';
  if (p.endsWith('/users')) return 'QueryUsers';
  if (p.endsWith('/rate_limits')) return 'GetRateLimits';
  return 'Other';
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class StreamExportClient {
  readonly baseURL: string;
  readonly limiter: RateLimiter;
  private sdk: StreamChat;
  private secret: string;
  private timeoutMs: number;
  private retry: RetryPolicy;
  private maxChannels: number;
  private maxUsers: number;
  private pollMs: number;
  private onEvent?: (e: StreamClientEvent) => void;
  private now: () => number;
  private sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private random: () => number;
  /** The live API dropped GET /export_channels/{id} from its spec (2025): remember a miss. */
  private statusRouteGone = false;

  constructor(opts: StreamClientOptions) {
    if (!opts.apiKey) throw new StreamError('bad_key', 'No Stream API key is set for this profile.');
    if (!opts.apiSecret) throw new StreamError('bad_secret', 'No Stream API secret is set for this profile.');
    this.baseURL = (opts.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.secret = opts.apiSecret;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.retry = { maxAttempts: 8, baseMs: 500, maxMs: 30_000, ...opts.retry };
    this.maxChannels = Math.min(opts.maxChannelsPerRequest ?? MAX_EXPORT_BATCH, 100);
    this.maxUsers = Math.min(opts.maxUsersPerRequest ?? MAX_EXPORT_BATCH, 25);
    this.pollMs = opts.pollIntervalMs ?? 1000;
    this.onEvent = opts.onEvent;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
    this.random = opts.random ?? Math.random;
    this.limiter = opts.limiter ?? new RateLimiter({ now: this.now });

    this.sdk = new StreamChat(opts.apiKey, opts.apiSecret, { baseURL: this.baseURL, timeout: this.timeoutMs, browser: false });
    // STREAM_LOCAL_TEST_HOST / STREAM_LOCAL_TEST_RUN make the SDK's constructor override baseURL
    // (spec §1.1): set ours again so the environment can never redirect a profile's traffic.
    this.sdk.setBaseURL(this.baseURL);
    this.sdk.axiosInstance.interceptors.response.use(
      (res) => {
        this.limiter.observe(endpointFor(res.config?.url), res.headers, res.status);
        return res;
      },
      (err: { config?: { url?: string }; response?: { headers?: unknown; status?: number } }) => {
        if (err?.response) this.limiter.observe(endpointFor(err.config?.url), err.response.headers, err.response.status);
        return Promise.reject(err);
      },
    );
  }

  private secrets(): string[] {
    const token = (this.sdk as unknown as { _getToken?: () => string | null | undefined })._getToken?.();
    return [this.secret, ...(token ? [token] : [])];
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** attempt);
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  /** One SDK call through the limiter, with retries on what can succeed later. */
  private async call<T>(endpoint: string, action: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const release = await this.limiter.acquire(endpoint, signal);
      try {
        const result = await fn();
        release();
        return result;
      } catch (raw) {
        release();
        const headers = (raw as { response?: { headers?: unknown } })?.response?.headers;
        const { resetMs } = readRateLimitHeaders(headers);
        const err = toStreamError(raw, { action, baseURL: this.baseURL, timeoutMs: this.timeoutMs, secrets: this.secrets(), now: this.now, retryAt: resetMs });
        if (!err.retryable || attempt + 1 >= this.retry.maxAttempts || signal?.aborted) throw err;
        let delay = this.backoff(attempt);
        if (err.kind === 'rate_limited' && err.retryAt !== undefined) {
          // The limiter holds every caller of this endpoint until Stream's reset; add jitter so
          // clients sharing an app do not stampede at the same instant.
          this.limiter.block(endpoint, err.retryAt);
          delay = Math.min(delay, 250 + Math.round(this.random() * 250));
        }
        this.onEvent?.({ type: 'retry', endpoint, attempt: attempt + 1, delayMs: Math.max(delay, (err.retryAt ?? 0) - this.now()), error: err });
        await this.sleep(delay, signal);
      }
    }
  }

  // ---- connection ----------------------------------------------------------------------------

  /**
   * A cheap authenticated call (GET /rate_limits, server side): proves key and secret and primes
   * the limiter with the app's real limits. Throws a StreamError otherwise.
   */
  async testConnection(signal?: AbortSignal): Promise<{ ok: true; latencyMs: number; limits: Record<string, { limit: number; remaining: number; reset: number }> }> {
    const started = this.now();
    const endpoints = ['ExportChannels', 'ExportUsers', 'GetTask', 'GetExportChannelsStatus', 'QueryChannels', 'QueryUsers'];
    const res = await this.call(
      'GetRateLimits',
      'check the connection',
      () => this.sdk.getRateLimits({ serverSide: true, endpoints: endpoints as never }),
      signal,
    );
    const limits = ((res as unknown as { server_side?: Record<string, { limit: number; remaining: number; reset: number }> }).server_side ?? {}) as Record<
      string,
      { limit: number; remaining: number; reset: number }
    >;
    for (const [endpoint, l] of Object.entries(limits)) if (l && l.limit > 0) this.limiter.observe(endpoint, { 'x-ratelimit-limit': String(l.limit) });
    return { ok: true, latencyMs: this.now() - started, limits };
  }

  // ---- enumeration ---------------------------------------------------------------------------

  /**
   * Every channel matching `filter`, oldest first. QueryChannels caps offset at 1000, so instead
   * of offsets we page by narrowing on created_at ($gte the last one seen), skipping the channels
   * already seen at that instant (offset = how many share it).
   */
  async *channels(filter: Record<string, unknown> = {}, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<ChannelInfo> {
    const limit = Math.min(30, opts.pageSize ?? 30);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let atCursor = 0;
    for (;;) {
      const f = cursor === undefined ? filter : Object.keys(filter).length ? { $and: [filter, { created_at: { $gte: cursor } }] } : { created_at: { $gte: cursor } };
      if (atCursor > 1000) throw new StreamError('invalid_request', `More than 1000 channels were created at the same instant (${cursor}); they cannot be listed page by page.`);
      const offset = atCursor;
      const page = (await this.call(
        'QueryChannels',
        'list channels',
        () => this.sdk.queryChannelsRequest(f as never, [{ created_at: 1 }] as never, { limit, offset, message_limit: 0, member_limit: 0, state: true, watch: false, presence: false }),
        opts.signal,
      )) as unknown as { channel: ChannelInfo }[];
      for (const s of page) {
        const ch = s.channel;
        if (ch.created_at === cursor) atCursor++;
        else {
          cursor = ch.created_at;
          atCursor = 1;
        }
        if (seen.has(ch.cid)) continue;
        seen.add(ch.cid);
        yield ch;
      }
      if (page.length < limit) return;
    }
  }

  async listChannelCids(filter: Record<string, unknown> = {}, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for await (const c of this.channels(filter, { signal })) out.push(c.cid);
    return out;
  }

  /** Every user matching `filter`, by id (keyset on id: `$gt` the last one seen; no offset cap). */
  async *users(filter: Record<string, unknown> = {}, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<UserInfo> {
    const limit = Math.min(100, opts.pageSize ?? 100);
    let last: string | undefined;
    for (;;) {
      const f = last === undefined ? filter : Object.keys(filter).length ? { $and: [filter, { id: { $gt: last } }] } : { id: { $gt: last } };
      const res = await this.call('QueryUsers', 'list users', () => this.sdk.queryUsers(f as never, [{ id: 1 }] as never, { limit, offset: 0 }), opts.signal);
      const users = (res as unknown as { users: UserInfo[] }).users;
      for (const u of users) {
        last = u.id;
        yield u;
      }
      if (users.length < limit) return;
    }
  }

  async listUserIds(filter: Record<string, unknown> = {}, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for await (const u of this.users(filter, { signal })) out.push(u.id);
    return out;
  }

  // ---- exports -------------------------------------------------------------------------------

  /** One ExportChannels request (≤ 25 channels). Use `exportChannelBatches` for more. */
  async exportChannels(channels: ChannelExportSpec[], options: ChannelExportOptions, signal?: AbortSignal): Promise<{ task_id: string }> {
    if (channels.length === 0) throw new StreamError('invalid_request', 'No channels to export.');
    if (channels.length > this.maxChannels) {
      throw new StreamError('invalid_request', `Stream exports at most ${this.maxChannels} channels per request (got ${channels.length}); split them into batches.`);
    }
    const request = channels.map((c) => {
      const r: Record<string, unknown> = { cid: c.cid };
      if (c.messages_since) r.messages_since = c.messages_since;
      if (c.messages_until) r.messages_until = c.messages_until;
      return r;
    });
    const res = await this.call(
      'ExportChannels',
      `export ${channels.length} channel${channels.length === 1 ? '' : 's'}`,
      () =>
        this.sdk.exportChannels(request as never, {
          version: options.version,
          include_truncated_messages: options.include_truncated_messages,
          include_soft_deleted_channels: options.include_soft_deleted_channels,
          clear_deleted_message_text: false,
        }),
      signal,
    );
    return { task_id: res.task_id };
  }

  /** One ExportUsers request (≤ 25 users). */
  async exportUsers(userIds: string[], signal?: AbortSignal): Promise<{ task_id: string; warnings: string[] }> {
    if (userIds.length === 0) throw new StreamError('invalid_request', 'No users to export.');
    if (userIds.length > this.maxUsers) {
      throw new StreamError('invalid_request', `Stream exports at most ${this.maxUsers} users per request (got ${userIds.length}); split them into batches.`);
    }
    const warning = `Stream exports at most ${USER_EXPORT_MESSAGE_CAP.toLocaleString('en-US')} messages per user; a user with more is exported incompletely (Stream support can lift the cap). Export their channels too for a complete record.`;
    this.onEvent?.({ type: 'warning', message: warning });
    const res = await this.call('ExportUsers', `export ${userIds.length} user${userIds.length === 1 ? '' : 's'}`, () => this.sdk.exportUsers({ user_ids: userIds }), signal);
    return { task_id: res.task_id, warnings: [warning] };
  }

  /**
   * A task's status: for channel exports the export-status route, falling back to GET /tasks/{id}
   * when that route is missing or does not know the task (the live API deprecated it).
   */
  async getTask(taskId: string, kind: 'channels' | 'users' = 'channels', signal?: AbortSignal): Promise<TaskStatusView> {
    type Raw = { status: string; result?: Record<string, unknown>; error?: { type?: string; description?: string } | null; created_at?: string; updated_at?: string };
    let raw: Raw | undefined;
    if (kind === 'channels' && !this.statusRouteGone) {
      try {
        raw = (await this.call('GetExportChannelsStatus', 'check the export task', () => this.sdk.getExportChannelStatus(taskId), signal)) as unknown as Raw;
      } catch (err) {
        if (!(err instanceof StreamError) || err.kind !== 'not_found') throw err;
        if (!/Can't find task/.test(err.streamMessage ?? '')) this.statusRouteGone = true;
        this.onEvent?.({ type: 'fallback', message: `export status route answered "${err.streamMessage ?? err.message}"; asking GET /tasks/${taskId}` });
      }
    }
    raw ??= (await this.call('GetTask', 'check the export task', () => this.sdk.getTask(taskId), signal)) as unknown as Raw;
    const url = raw.result && typeof raw.result.url === 'string' ? raw.result.url : null;
    const error = raw.error && (raw.error.type || raw.error.description) ? { type: String(raw.error.type ?? 'error'), description: String(raw.error.description ?? '') } : null;
    return { status: raw.status, url, error, created_at: raw.created_at, updated_at: raw.updated_at };
  }

  /** Poll until the task is completed/failed; returns the last status. */
  async waitForTask(
    taskId: string,
    kind: 'channels' | 'users',
    opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal; onStatus?: (s: TaskStatusView) => void } = {},
  ): Promise<TaskStatusView> {
    const pollMs = Math.max(10, opts.pollMs ?? this.pollMs);
    const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.now() + opts.timeoutMs;
    for (;;) {
      await this.sleep(pollMs, opts.signal);
      const st = await this.getTask(taskId, kind, opts.signal);
      opts.onStatus?.(st);
      if (TERMINAL.has(st.status)) return st;
      if (this.now() > deadline) throw new StreamError('timeout', `Stream export task ${taskId} is still ${st.status} after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s.`);
    }
  }

  /**
   * Export everything asked for — channels in batches of ≤ 25, users in batches of ≤ 25 — and wait
   * for every task, re-requesting a batch whose task Stream failed (up to `maxTaskAttempts`).
   * The limiter paces the requests; polls run concurrently. Not durable: the jobs engine is.
   */
  async exportAll(req: {
    channels?: ChannelExportSpec[];
    userIds?: string[];
    options?: Partial<ChannelExportOptions>;
    maxTaskAttempts?: number;
    signal?: AbortSignal;
    onBatch?: (b: ExportBatchResult) => void;
  }): Promise<ExportBatchResult[]> {
    const options: ChannelExportOptions = {
      version: req.options?.version ?? 'v2',
      include_truncated_messages: req.options?.include_truncated_messages ?? true,
      include_soft_deleted_channels: req.options?.include_soft_deleted_channels ?? true,
      clear_deleted_message_text: false,
    };
    const maxTask = req.maxTaskAttempts ?? 3;
    const run = async (kind: 'channels' | 'users', ids: string[], start: () => Promise<{ task_id: string }>): Promise<ExportBatchResult> => {
      for (let attempt = 1; ; attempt++) {
        const { task_id } = await start();
        const st = await this.waitForTask(task_id, kind, { signal: req.signal });
        if (st.status === 'completed' && st.url) {
          const r = { kind, ids, task_id, url: st.url, attempts: attempt };
          req.onBatch?.(r);
          return r;
        }
        if (attempt >= maxTask) {
          throw new StreamError('server', `Stream failed to export ${kind} ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? '…' : ''} ${attempt} times (${st.error?.description ?? st.status}).`);
        }
        this.onEvent?.({ type: 'warning', message: `Stream task ${task_id} ${st.status}: ${st.error?.description ?? 'no reason given'}; requesting the batch again` });
      }
    };
    const jobs: Promise<ExportBatchResult>[] = [];
    for (const batch of chunk(req.channels ?? [], this.maxChannels)) {
      jobs.push(run('channels', batch.map((c) => c.cid), () => this.exportChannels(batch, options, req.signal)));
    }
    for (const batch of chunk(req.userIds ?? [], this.maxUsers)) {
      jobs.push(run('users', batch, () => this.exportUsers(batch, req.signal)));
    }
    return Promise.all(jobs);
  }

  /** Map any error from the methods above for the jobs engine. */
  classifyError(err: unknown): { kind: 'task_not_found' | 'retryable' | 'fatal'; message: string } {
    const e = toStreamError(err, { action: 'talk to Stream', baseURL: this.baseURL, timeoutMs: this.timeoutMs, secrets: this.secrets(), now: this.now });
    if (e.kind === 'not_found' && /export task/.test(e.message)) return { kind: 'task_not_found', message: e.message };
    return { kind: e.retryable ? 'retryable' : 'fatal', message: e.message };
  }

  close(): void {
    const agent = (this.sdk as unknown as { options?: { httpsAgent?: { destroy?: () => void } } }).options?.httpsAgent;
    agent?.destroy?.();
  }
}

/** The factory profiles and the jobs engine use. */
export function createStreamClient(opts: StreamClientOptions): StreamExportClient {
  return new StreamExportClient(opts);
}

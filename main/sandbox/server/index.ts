/**
 * The sandbox: a local Stream-compatible HTTP server (Node's http module only) serving the legacy
 * chat routes Archivist uses — QueryChannels, QueryUsers, ExportChannels (+ status), ExportUsers,
 * GetTask, the synchronous user export, GetRateLimits — and the signed export-file downloads.
 * Behaviour follows ../shared/docs/stream-export-api.md; the README beside this folder lists our
 * choices where the spec is silent ([U]).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDataset, GeneratedDataset, type StreamChannel, type StreamMessage, type StreamUser } from '../data/index.ts';
import { parseTimeUs } from '../data/time.ts';
import type { LineShape } from '../data/export-writer.ts';
import { checkAuth, isAuthFailure } from './auth.ts';
import { ServerRateLimiter, ENDPOINTS, type EndpointName, type LimitConfig } from './rate-limit.ts';
import { FaultSet, type Fault, type FaultSpec } from './faults.ts';
import { matchFilter, parseSort, sortBy, QueryError } from './query.ts';
import { TaskManager, type Clock, type Task, type TaskLatency, type ChannelExportParams } from './tasks.ts';

export type { Clock, Task, TaskLatency } from './tasks.ts';
export type { FaultSpec, FaultKind } from './faults.ts';
export { parseFaults } from './faults.ts';
export type { EndpointName, LimitConfig } from './rate-limit.ts';
export { signJwt } from './auth.ts';

export interface SandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Dataset size (ignored when `dataset` is given). Default 5,000. */
  messages?: number;
  channels?: number;
  users?: number;
  dataset?: GeneratedDataset;
  apiKey?: string;
  apiSecret?: string;
  /** Fault spec string (see faults.ts) or specs. */
  faults?: string | FaultSpec[];
  /** Sandbox clock (ms epoch): task timestamps, URL expiry, retention, rate-limit windows. */
  clock?: Clock;
  /** Where export files go; default a temp dir removed on close(). */
  dataDir?: string;
  latency?: Partial<TaskLatency>;
  /** Per-endpoint overrides of the rate limits. */
  rateLimits?: Partial<Record<EndpointName, LimitConfig>>;
  /** Scale all rate-limit windows (tests): minute window length and burst window length. */
  rateWindowMs?: number;
  burstWindowMs?: number;
  /** Channels per export request: 25 (docs, default) or 100 (newest OpenAPI). */
  maxChannelsPerExport?: number;
  maxUsersPerExport?: number;
  /** Messages per user in user exports (docs: 10,000). */
  userMessageCap?: number;
  /** v2 line shape of generated files. */
  lineShape?: LineShape;
  gzip?: boolean;
  urlTtlMs?: number;
  retentionMs?: number;
  /** Serve the legacy GET /export_channels/{id} (default true; the live API deprecated it). */
  statusRoute?: boolean;
}

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  endpoint: string;
  status: number;
  /** Request headers without Authorization. */
  headers: Record<string, string | string[] | undefined>;
  fault?: string;
}

export interface SandboxStats {
  requests: Record<string, number>;
  /** Requests that arrived when the endpoint's window was already full (the client's fault). */
  violations: Record<string, number>;
  totalViolations: number;
  /** Responses by fault kind injected. */
  faults: Record<string, number>;
}

export interface SandboxControl {
  readonly clock: Clock;
  addFaults(spec: string | FaultSpec): Fault[];
  removeFault(id: number): void;
  clearFaults(): void;
  faults(): Fault[];
  stats(): SandboxStats;
  resetStats(): void;
  requests(): RequestRecord[];
  tasks(): Task[];
  task(id: string): Task | undefined;
  setLatency(latency: Partial<TaskLatency>): void;
  setRateLimit(endpoint: EndpointName, cfg: LimitConfig): void;
  rateLimit(endpoint: EndpointName): Required<LimitConfig>;
  suspend(on: boolean): void;
  /** Wait until a task is completed or failed (real time). */
  waitForTask(id: string, timeoutMs?: number): Promise<Task>;
  // Data mutations while running (incremental backups); times come from the sandbox clock.
  addMessages(cid: string, count: number): StreamMessage[];
  editMessage(cid: string, id: string, text: string): StreamMessage;
  deleteMessage(cid: string, id: string): StreamMessage;
  addChannel(opts?: { type?: 'messaging' | 'team' | 'livestream'; messages?: number; memberIds?: string[]; name?: string }): StreamChannel;
}

export interface Sandbox {
  baseURL: string;
  apiKey: string;
  apiSecret: string;
  dataset: GeneratedDataset;
  control: SandboxControl;
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can move by hand. */
export function manualClock(startMs = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

class HttpError extends Error {
  status: number;
  code: number;
  exceptionFields?: Record<string, string>;
  constructor(status: number, code: number, message: string, exceptionFields?: Record<string, string>) {
    super(message);
    this.status = status;
    this.code = code;
    this.exceptionFields = exceptionFields;
  }
}

/** `<Op> failed with error: "<detail>"` — Stream's error message pattern. */
const opError = (op: string, detail: string) => `${op} failed with error: "${detail}"`;

interface Route {
  endpoint: EndpointName;
  method: string;
  params: Record<string, string>;
}

function route(method: string, pathname: string, statusRoute: boolean): Route | undefined {
  // Optional unified-API aliases (/api/v2/...) map onto the legacy routes.
  let p = pathname.replace(/\/+$/, '') || '/';
  if (p.startsWith('/api/v2/chat/')) p = p.slice('/api/v2/chat'.length);
  else if (p.startsWith('/api/v2/')) p = p.slice('/api/v2'.length);
  let m: RegExpExecArray | null;
  if (p === '/channels' && method === 'POST') return { endpoint: 'QueryChannels', method, params: {} };
  if (p === '/users' && method === 'GET') return { endpoint: 'QueryUsers', method, params: {} };
  if (p === '/export_channels' && method === 'POST') return { endpoint: 'ExportChannels', method, params: {} };
  if (statusRoute && (m = /^\/export_channels\/([^/]+)$/.exec(p)) && method === 'GET') return { endpoint: 'GetExportChannelsStatus', method, params: { id: decodeURIComponent(m[1]) } };
  if (p === '/export/users' && method === 'POST') return { endpoint: 'ExportUsers', method, params: {} };
  if ((m = /^\/tasks\/([^/]+)$/.exec(p)) && method === 'GET') return { endpoint: 'GetTask', method, params: { id: decodeURIComponent(m[1]) } };
  if ((m = /^\/users\/([^/]+)\/export$/.exec(p)) && method === 'GET') return { endpoint: 'ExportUser', method, params: { id: decodeURIComponent(m[1]) } };
  if (p === '/rate_limits' && method === 'GET') return { endpoint: 'GetRateLimits', method, params: {} };
  return undefined;
}

function timeParam(op: string, field: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || Number.isNaN(parseTimeUs(v))) {
    throw new HttpError(400, 4, opError(op, `${field} must be an RFC3339 date-time, got ${JSON.stringify(v)}`), { [field]: 'invalid date-time' });
  }
  return v;
}

function boolParam(op: string, body: Record<string, unknown>, field: string): boolean {
  const v = body[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new HttpError(400, 4, opError(op, `${field} must be a boolean`), { [field]: 'must be a boolean' });
  return v;
}

function intParam(op: string, v: unknown, field: string, def: number, max: number, min = 0): number {
  if (v === undefined || v === null) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new HttpError(400, 4, opError(op, `${field} must be ${min} or greater`), { [field]: `must be ${min} or greater` });
  if (n > max) throw new HttpError(400, 4, opError(op, `${field} must be ${max} or less`), { [field]: `must be ${max} or less` });
  return n;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  const dataset = opts.dataset ?? createDataset({ seed, messages: opts.messages ?? 5000, channels: opts.channels, users: opts.users });
  const apiKey = opts.apiKey ?? `sbx${crypto.randomBytes(6).toString('hex')}`;
  const apiSecret = opts.apiSecret ?? crypto.randomBytes(32).toString('base64url');
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await fs.promises.mkdtemp(path.join(os.tmpdir(), 'archivist-sandbox-')));
  const maxChannels = opts.maxChannelsPerExport ?? 25;
  const maxUsers = opts.maxUsersPerExport ?? 25;
  const userMessageCap = opts.userMessageCap ?? 10_000;
  let suspended = false;

  const limiter = new ServerRateLimiter(opts.rateLimits, { windowMs: opts.rateWindowMs, burstWindowMs: opts.burstWindowMs });
  const faults = new FaultSet(seed);
  const faultCounts: Record<string, number> = {};
  const log: RequestRecord[] = [];
  const latency: TaskLatency = { pendingMs: 100, runningMs: 200, perThousandMessagesMs: 0, ...opts.latency };
  const tasks = new TaskManager(dataset, {
    dir: dataDir,
    clock,
    latency,
    shape: opts.lineShape ?? 'envelope',
    gzip: opts.gzip ?? false,
    userMessageCap,
    urlTtlMs: opts.urlTtlMs ?? 24 * 3_600_000,
    retentionMs: opts.retentionMs ?? 60 * 86_400_000,
  });
  if (opts.faults) {
    if (typeof opts.faults === 'string') faults.add(opts.faults, clock.now());
    else for (const f of opts.faults) faults.add(f, clock.now());
  }

  let baseURL = '';
  const sockets = new Set<Socket>();

  const noteFault = (kind: string) => {
    faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
  };

  function record(req: http.IncomingMessage, endpoint: string, status: number, fault?: string): void {
    const { authorization: _a, ...headers } = req.headers;
    log.push({ at: clock.now(), method: req.method ?? '', path: (req.url ?? '').split('?')[0], endpoint, status, headers, fault });
    if (log.length > 20_000) log.splice(0, log.length - 20_000);
  }

  function send(res: http.ServerResponse, status: number, body: unknown, t0: number, headers: Record<string, string> = {}): void {
    const payload = body === null || typeof body !== 'object' ? body : { ...(body as object), duration: `${(performance.now() - t0).toFixed(2)}ms` };
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(status, {
      'Content-Type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  function errorBody(status: number, code: number, message: string, exceptionFields?: Record<string, string>): Record<string, unknown> {
    const body: Record<string, unknown> = { code, message };
    if (exceptionFields) body.exception_fields = exceptionFields;
    body.StatusCode = status;
    body.more_info = 'https://getstream.io/chat/docs/api_errors_response';
    body.details = [];
    if (code === 9 || status >= 500) body.unrecoverable = false;
    return body;
  }

  function rlHeaders(d: { limit: number; remaining: number; resetS: number }): Record<string, string> {
    return { 'X-RateLimit-Limit': String(d.limit), 'X-RateLimit-Remaining': String(d.remaining), 'X-RateLimit-Reset': String(d.resetS) };
  }

  async function readBody(req: http.IncomingMessage, op: string): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1 << 20) throw new HttpError(413, 22, opError(op, 'request body is too large'));
      chunks.push(c as Buffer);
    }
    if (size === 0) return {};
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      return v;
    } catch {
      throw new HttpError(400, 4, opError(op, 'invalid JSON request body'));
    }
  }

  // ---- handlers ------------------------------------------------------------------------------

  const channelGet = (c: Record<string, unknown>, field: string): unknown => {
    const ch = c as StreamChannel;
    switch (field) {
      case 'members': return dataset.members(ch.cid).map((m) => m.user_id);
      case 'last_updated': {
        const a = ch.last_message_at ? parseTimeUs(ch.last_message_at) : 0;
        const b = parseTimeUs(ch.updated_at);
        return new Date(Math.floor(Math.max(a, b) / 1000)).toISOString();
      }
      case 'created_by_id': return ch.created_by?.id;
      case 'member.user.name': return dataset.members(ch.cid).map((m) => m.user.name);
      default: return ch[field];
    }
  };

  function channelState(ch: StreamChannel, messageLimit: number, memberLimit: number): Record<string, unknown> {
    let messages: StreamMessage[] = [];
    const pinned: StreamMessage[] = [];
    if (messageLimit > 0) {
      for (const m of dataset.messages(ch.cid)) {
        if (m.parent_id && !m.show_in_channel) continue;
        messages.push(m);
        if (messages.length > messageLimit * 2) messages = messages.slice(-messageLimit);
        if (m.pinned) {
          pinned.push(m);
          if (pinned.length > 10) pinned.shift();
        }
      }
      messages = messages.slice(-messageLimit);
    }
    return {
      channel: ch,
      members: dataset.members(ch.cid).slice(0, memberLimit),
      messages,
      pinned_messages: pinned,
      read: dataset.reads(ch.cid).slice(0, 100),
      watcher_count: 0,
      threads: [],
    };
  }

  async function queryChannels(req: http.IncomingMessage): Promise<unknown> {
    const op = 'QueryChannels';
    const body = await readBody(req, op);
    const limit = intParam(op, body.limit, 'limit', 10, 30);
    const offset = intParam(op, body.offset, 'offset', 0, 1000);
    const messageLimit = intParam(op, body.message_limit, 'message_limit', 25, 300);
    const memberLimit = intParam(op, body.member_limit, 'member_limit', 100, 100);
    try {
      const sort = parseSort(body.sort, [{ field: 'last_updated', direction: -1 }]);
      const live = dataset.channels.filter((c) => !c.deleted_at);
      const matched = live.filter((c) => matchFilter(c, body.filter_conditions ?? {}, channelGet));
      const page = sortBy(matched, sort, channelGet, 'cid').slice(offset, offset + limit);
      return { channels: page.map((c) => channelState(c, body.state === false ? 0 : messageLimit, memberLimit)) };
    } catch (err) {
      if (err instanceof QueryError) throw new HttpError(400, 4, opError(op, err.message), err.field ? { [err.field]: err.message } : undefined);
      throw err;
    }
  }

  async function queryUsers(url: URL): Promise<unknown> {
    const op = 'QueryUsers';
    const raw = url.searchParams.get('payload');
    let payload: Record<string, unknown> = {};
    if (raw) {
      try {
        payload = JSON.parse(raw);
      } catch {
        throw new HttpError(400, 4, opError(op, 'payload is not valid JSON'), { payload: 'invalid JSON' });
      }
    }
    const limit = intParam(op, payload.limit, 'limit', 30, 100);
    const offset = intParam(op, payload.offset, 'offset', 0, 1000);
    try {
      const sort = parseSort(payload.sort, [{ field: 'created_at', direction: -1 }]);
      const get = (u: Record<string, unknown>, f: string) => u[f];
      const matched = dataset.users.filter((u) => matchFilter(u, payload.filter_conditions ?? {}, get));
      return { users: sortBy(matched, sort, get, 'id').slice(offset, offset + limit) };
    } catch (err) {
      if (err instanceof QueryError) throw new HttpError(400, 4, opError(op, err.message), err.field ? { [err.field]: err.message } : undefined);
      throw err;
    }
  }

  async function exportChannels(req: http.IncomingMessage): Promise<unknown> {
    const op = 'ExportChannels';
    const body = await readBody(req, op);
    const list = body.channels;
    if (!Array.isArray(list) || list.length === 0) throw new HttpError(400, 4, opError(op, 'channels is a required field with at least 1 item'), { channels: 'required' });
    if (list.length > maxChannels) {
      throw new HttpError(400, 4, opError(op, `channels must contain at most ${maxChannels} items, got ${list.length}`), { channels: `max ${maxChannels} items` });
    }
    const version = body.version ?? 'v1';
    if (version !== 'v1' && version !== 'v2') throw new HttpError(400, 4, opError(op, `version must be one of v1 v2, got ${JSON.stringify(version)}`), { version: 'invalid' });
    if (body.format !== undefined && body.format !== null && body.format !== 'json') {
      // CSV exports (newest spec) are not emulated.
      throw new HttpError(400, 4, opError(op, `format ${JSON.stringify(body.format)} is not supported by this server`), { format: 'unsupported' });
    }
    const selections = list.map((entry: unknown, i: number) => {
      if (!entry || typeof entry !== 'object') throw new HttpError(400, 4, opError(op, `channels[${i}] must be an object`), { [`channels[${i}]`]: 'invalid' });
      const e = entry as Record<string, unknown>;
      let cid: string;
      if (typeof e.cid === 'string' && e.cid.includes(':')) cid = e.cid;
      else if (typeof e.type === 'string' && e.type && typeof e.id === 'string' && e.id) cid = `${e.type}:${e.id}`;
      else throw new HttpError(400, 4, opError(op, `channels[${i}] needs either cid or type and id`), { [`channels[${i}]`]: 'cid or type+id required' });
      return {
        cid,
        messages_since: timeParam(op, 'messages_since', e.messages_since),
        messages_until: timeParam(op, 'messages_until', e.messages_until),
      };
    });
    for (const s of selections) if (!dataset.hasChannel(s.cid)) throw new HttpError(400, 4, opError(op, `Can't find channel with id ${s.cid}`));
    const params: ChannelExportParams = {
      channels: selections,
      version,
      include_truncated_messages: boolParam(op, body, 'include_truncated_messages'),
      include_soft_deleted_channels: boolParam(op, body, 'include_soft_deleted_channels'),
      clear_deleted_message_text: boolParam(op, body, 'clear_deleted_message_text'),
      export_users: boolParam(op, body, 'export_users'),
    };
    const willFail = faults.take('fail-task', 'ExportChannels', clock.now()) !== undefined;
    if (willFail) noteFault('fail-task');
    const task = tasks.createChannelExport(params, willFail);
    return { task_id: task.id };
  }

  async function exportUsers(req: http.IncomingMessage): Promise<unknown> {
    const op = 'ExportUsers';
    const body = await readBody(req, op);
    const ids = body.user_ids;
    if (!Array.isArray(ids) || ids.length === 0) throw new HttpError(400, 4, opError(op, 'user_ids is a required field with at least 1 item'), { user_ids: 'required' });
    if (ids.length > maxUsers) throw new HttpError(400, 4, opError(op, `user_ids must contain at most ${maxUsers} items, got ${ids.length}`), { user_ids: `max ${maxUsers} items` });
    for (const id of ids) {
      if (typeof id !== 'string' || !id) throw new HttpError(400, 4, opError(op, 'user_ids must be non-empty strings'), { user_ids: 'invalid' });
      if (!dataset.userById(id)) throw new HttpError(400, 4, opError(op, `Can't find user with id ${id}`));
    }
    const willFail = faults.take('fail-task', 'ExportUsers', clock.now()) !== undefined;
    if (willFail) noteFault('fail-task');
    return { task_id: tasks.createUserExport([...new Set(ids as string[])], willFail).id };
  }

  function taskStatus(op: string, id: string, channelsOnly: boolean): unknown {
    const task = tasks.tasks.get(id);
    if (!task || (channelsOnly && task.kind !== 'channels')) throw new HttpError(404, 16, opError(op, `Can't find task with id "${id}"`));
    const expire = task.status === 'completed' ? faults.take('expire', 'Download', clock.now()) : undefined;
    if (expire) noteFault('expire');
    return tasks.statusBody(task, baseURL, expire ? (expire.spec.ttlMs ?? 1000) : undefined);
  }

  function exportUserSync(id: string): unknown {
    const op = 'ExportUser';
    const user = dataset.userById(id);
    if (!user) throw new HttpError(404, 16, opError(op, `user ${id} does not exist`));
    const messages: StreamMessage[] = [];
    const reactions: unknown[] = [];
    for (const cid of dataset.userChannels(id)) {
      for (const e of dataset.entries(cid)) {
        for (const r of e.reactions) if (r.user_id === id) reactions.push({ ...r, user: null });
        if (e.message.user?.id === id) messages.push({ ...e.message, user: null });
        if (messages.length > userMessageCap || reactions.length > userMessageCap) {
          throw new HttpError(400, 4, opError(op, `user ${id} has more than ${userMessageCap} messages or reactions, use the async user export`));
        }
      }
    }
    return { user, messages, reactions };
  }

  function rateLimits(url: URL): unknown {
    const wanted = url.searchParams.get('endpoints')?.split(',').filter(Boolean) ?? [...ENDPOINTS];
    const server: Record<string, unknown> = {};
    for (const e of wanted) {
      if (!(ENDPOINTS as readonly string[]).includes(e)) continue;
      const d = limiter.hit(e as EndpointName, clock.now(), false);
      server[e] = { limit: d.limit, remaining: d.remaining, reset: d.resetS };
    }
    return { server_side: server, android: {}, ios: {}, web: {} };
  }

  // ---- downloads -------------------------------------------------------------------------------

  function s3Error(res: http.ServerResponse, status: number, code: string, message: string): void {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
    res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }

  function download(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const v = tasks.verify(url.pathname, url.searchParams);
    if (!('task' in v)) {
      record(req, 'Download', v.status);
      return s3Error(res, v.status, v.code, v.message);
    }
    const file = v.task.file!;
    let start = 0;
    let end = file.bytes - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === '' && m[2] === '')) {
        record(req, 'Download', 416);
        res.writeHead(416, { 'Content-Range': `bytes */${file.bytes}` });
        return void res.end();
      }
      if (m[1] === '') start = Math.max(0, file.bytes - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start > end || start >= file.bytes) {
        record(req, 'Download', 416);
        res.writeHead(416, { 'Content-Range': `bytes */${file.bytes}` });
        return void res.end();
      }
      status = 206;
    }
    const length = end - start + 1;
    const now = clock.now();
    const drop = req.method === 'GET' ? faults.take('drop', 'Download', now) : undefined;
    const truncate = !drop && req.method === 'GET' ? faults.take('truncate', 'Download', now) : undefined;
    const cutFault = drop ?? truncate;
    const cutAt = cutFault ? Math.max(0, Math.min(length - 1, cutFault.spec.bytes ?? Math.floor(length * (cutFault.spec.fraction ?? 0.5)))) : length;
    if (cutFault) noteFault(cutFault.spec.kind);
    record(req, 'Download', status, cutFault?.spec.kind);
    const headers: Record<string, string> = {
      'Content-Type': file.contentType,
      'Accept-Ranges': 'bytes',
      ETag: `"${file.md5}"`,
      'Last-Modified': new Date(v.task.completedAt ?? now).toUTCString(),
      'Content-Disposition': `attachment; filename="${file.name}"`,
    };
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${file.bytes}`;
    // A clean truncation uses chunked encoding so the client cannot tell from framing alone.
    if (!truncate) headers['Content-Length'] = String(length);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    if (cutAt === 0 && drop) return void res.socket?.destroy();
    const stream = fs.createReadStream(file.path, { start, end: start + cutAt - 1 });
    stream.on('error', () => res.socket?.destroy());
    stream.on('end', () => {
      if (drop) {
        // Let the bytes already written leave, then cut the connection mid-body.
        res.socket?.end();
        setTimeout(() => res.socket?.destroy(), 20);
      }
    });
    stream.pipe(res, { end: !drop });
  }

  // ---- dispatch ----------------------------------------------------------------------------------

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/exports/') && (method === 'GET' || method === 'HEAD')) return download(req, res, url);

    const r = route(method, url.pathname, opts.statusRoute !== false);
    if (!r) {
      record(req, 'Unknown', 404);
      return send(res, 404, errorBody(404, 16, `Unknown route ${method} ${url.pathname}`), t0);
    }
    const op = r.endpoint;
    const now = clock.now();

    const auth = checkAuth(
      { apiKey: url.searchParams.get('api_key'), authType: req.headers['stream-auth-type'] as string | undefined, authorization: req.headers.authorization },
      { apiKey, apiSecret },
      now,
    );
    if (isAuthFailure(auth)) {
      record(req, op, auth.status);
      return send(res, auth.status, errorBody(auth.status, auth.code, opError(op, auth.detail)), t0, rlHeaders(limiter.hit(op, now, false)));
    }
    if (suspended) {
      record(req, op, 403);
      return send(res, 403, errorBody(403, 99, opError(op, 'app suspended, please contact support')), t0, rlHeaders(limiter.hit(op, now, false)));
    }
    const exportOp = op === 'ExportChannels' || op === 'ExportUsers' || op === 'ExportUser' || op === 'GetExportChannelsStatus' || op === 'GetTask';
    if (exportOp && !auth.server) {
      record(req, op, 403);
      const what = op === 'ExportUsers' || op === 'ExportUser' ? 'users' : op === 'ExportChannels' ? 'channels' : 'tasks';
      const verb = op.startsWith('Get') ? 'read' : 'exported';
      return send(res, 403, errorBody(403, 17, opError(op, `${what} can only be ${verb} server side`)), t0, rlHeaders(limiter.hit(op, now, false)));
    }

    const decision = limiter.hit(op, now);
    const headers = rlHeaders(decision);
    if (!decision.allowed) {
      record(req, op, 429);
      return send(res, 429, errorBody(429, 9, opError(op, 'Too many requests, check response headers for more information.')), t0, headers);
    }

    const hangup = faults.take('hangup', op, now);
    if (hangup) {
      noteFault('hangup');
      record(req, op, 0, 'hangup');
      req.socket.destroy();
      return;
    }
    const slow = faults.take('slow', op, now);
    if (slow) {
      noteFault('slow');
      await new Promise((resolve) => setTimeout(resolve, slow.spec.delayMs ?? 5000));
      if (res.destroyed || req.socket.destroyed) return record(req, op, 0, 'slow');
    }
    const storm = faults.take('429', op, now);
    if (storm) {
      noteFault('429');
      record(req, op, 429, '429');
      const until = storm.activeUntil() ?? now + 1000;
      const h = { ...headers, 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Math.ceil(Math.max(until, now + 1) / 1000)) };
      if (storm.spec.json === false) return send(res, 429, 'Too Many Requests', t0, h);
      return send(res, 429, errorBody(429, 9, opError(op, 'Too many requests, check response headers for more information.')), t0, h);
    }
    const err5 = faults.take('5xx', op, now);
    if (err5) {
      noteFault('5xx');
      const status = err5.spec.status ?? 500;
      record(req, op, status, '5xx');
      if (err5.spec.json === false || status === 502 || status === 504) return send(res, status, `${status} ${http.STATUS_CODES[status] ?? 'Error'}`, t0, headers);
      return send(res, status, errorBody(status, -1, opError(op, 'internal system error')), t0, headers);
    }

    try {
      let body: unknown;
      switch (op) {
        case 'QueryChannels': body = await queryChannels(req); break;
        case 'QueryUsers': body = await queryUsers(url); break;
        case 'ExportChannels': body = await exportChannels(req); break;
        case 'ExportUsers': body = await exportUsers(req); break;
        case 'GetExportChannelsStatus': body = taskStatus(op, r.params.id, true); break;
        case 'GetTask': body = taskStatus(op, r.params.id, false); break;
        case 'ExportUser': body = exportUserSync(r.params.id); break;
        case 'GetRateLimits': body = rateLimits(url); break;
      }
      const status = method === 'POST' ? 201 : 200;
      record(req, op, status);
      send(res, status, body, t0, headers);
    } catch (err) {
      if (err instanceof HttpError) {
        record(req, op, err.status);
        return send(res, err.status, errorBody(err.status, err.code, err.message, err.exceptionFields), t0, headers);
      }
      record(req, op, 500);
      send(res, 500, errorBody(500, -1, opError(op, err instanceof Error ? err.message : 'internal error')), t0, headers);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ code: -1, message: String(err), StatusCode: 500, duration: '0.00ms' }));
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  baseURL = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;

  const control: SandboxControl = {
    clock,
    addFaults: (spec) => faults.add(spec, clock.now()),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    stats: () => ({
      requests: { ...limiter.requests },
      violations: { ...limiter.violations },
      totalViolations: Object.values(limiter.violations).reduce((a, b) => a + b, 0),
      faults: { ...faultCounts },
    }),
    resetStats: () => {
      limiter.reset();
      for (const k of Object.keys(faultCounts)) delete faultCounts[k];
      log.length = 0;
    },
    requests: () => [...log],
    tasks: () => [...tasks.tasks.values()],
    task: (id) => tasks.tasks.get(id),
    setLatency: (l) => Object.assign(latency, l),
    setRateLimit: (endpoint, cfg) => limiter.set(endpoint, { windowMs: opts.rateWindowMs, burstWindowMs: opts.burstWindowMs, ...cfg }),
    rateLimit: (endpoint) => limiter.config(endpoint),
    suspend: (on) => {
      suspended = on;
    },
    waitForTask: async (id, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const t = tasks.tasks.get(id);
        if (!t) throw new Error(`no task ${id}`);
        if (t.status === 'completed' || t.status === 'failed') return t;
        if (Date.now() > deadline) throw new Error(`task ${id} still ${t.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    addMessages: (cid, count) => dataset.addMessages(cid, count, clock.now() * 1000),
    editMessage: (cid, id, text) => dataset.editMessage(cid, id, text, clock.now() * 1000),
    deleteMessage: (cid, id) => dataset.deleteMessage(cid, id, clock.now() * 1000),
    addChannel: (o = {}) => dataset.addChannel({ ...o, atUs: clock.now() * 1000 }),
  };

  return {
    baseURL,
    apiKey,
    apiSecret,
    dataset,
    control,
    async close() {
      tasks.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      if (ownsDir) await fs.promises.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type { StreamUser };

/**
 * Export tasks: pending → running → completed | failed. The file is written when the task starts
 * running and the task completes once both the configured running time has elapsed and the file
 * is on disk. Download URLs are minted on every status call, HMAC-signed with a per-sandbox key
 * (not the API secret), expiring 24 h after minting; files are kept 60 days (sandbox clock).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeChannelExport, writeUserExport, type ChannelSelection, type LineShape } from '../data/export-writer.ts';
import { formatUs } from '../data/time.ts';
import type { GeneratedDataset } from '../data/index.ts';

export interface Clock {
  now(): number;
}

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface ChannelExportParams {
  channels: ChannelSelection[];
  version: 'v1' | 'v2';
  include_truncated_messages: boolean;
  include_soft_deleted_channels: boolean;
  clear_deleted_message_text: boolean;
  export_users: boolean;
}

export interface TaskFile {
  path: string;
  key: string;
  name: string;
  bytes: number;
  md5: string;
  contentType: string;
  messages: number;
}

export interface Task {
  id: string;
  kind: 'channels' | 'users';
  status: TaskStatus;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  channels?: ChannelExportParams;
  userIds?: string[];
  file?: TaskFile;
  error?: { type: string; description: string };
  /** Decided at creation by a fail-task fault. */
  willFail: boolean;
  truncatedUsers?: string[];
}

export interface TaskLatency {
  /** Time spent `pending` (ms, real time). */
  pendingMs: number;
  /** Minimum time spent `running` (ms, real time). */
  runningMs: number;
  /** Extra running time per 1,000 exported messages (ms), to mimic bigger exports taking longer. */
  perThousandMessagesMs?: number;
}

export interface TaskManagerOptions {
  dir: string;
  clock: Clock;
  latency: TaskLatency;
  shape: LineShape;
  gzip: boolean;
  userMessageCap: number;
  urlTtlMs: number;
  retentionMs: number;
}

export class TaskManager {
  readonly tasks = new Map<string, Task>();
  private signKey = crypto.randomBytes(32);
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private ds: GeneratedDataset;
  opts: TaskManagerOptions;

  constructor(ds: GeneratedDataset, opts: TaskManagerOptions) {
    this.ds = ds;
    this.opts = opts;
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  private create(kind: Task['kind'], willFail: boolean): Task {
    const now = this.opts.clock.now();
    const task: Task = { id: crypto.randomUUID(), kind, status: 'pending', createdAt: now, updatedAt: now, willFail };
    this.tasks.set(task.id, task);
    this.later(this.opts.latency.pendingMs, () => this.run(task));
    return task;
  }

  createChannelExport(params: ChannelExportParams, willFail: boolean): Task {
    const t = this.create('channels', willFail);
    t.channels = params;
    return t;
  }

  createUserExport(userIds: string[], willFail: boolean): Task {
    const t = this.create('users', willFail);
    t.userIds = userIds;
    return t;
  }

  private set(task: Task, status: TaskStatus): void {
    task.status = status;
    task.updatedAt = this.opts.clock.now();
  }

  private async run(task: Task): Promise<void> {
    this.set(task, 'running');
    const started = Date.now();
    try {
      const file = await this.writeFile(task);
      if (this.closed) return;
      const extra = ((this.opts.latency.perThousandMessagesMs ?? 0) * file.messages) / 1000;
      const wait = this.opts.latency.runningMs + extra - (Date.now() - started);
      this.later(wait, () => {
        if (task.willFail) {
          fs.rmSync(file.path, { force: true });
          task.error = { type: 'internal_error', description: `export ${task.kind} task ${task.id} failed: internal error while writing the export file` };
          this.set(task, 'failed');
          return;
        }
        task.file = file;
        this.set(task, 'completed');
        task.completedAt = task.updatedAt;
      });
    } catch (err) {
      if (this.closed) return;
      task.error = { type: 'internal_error', description: err instanceof Error ? err.message : String(err) };
      this.set(task, 'failed');
    }
  }

  private async writeFile(task: Task): Promise<TaskFile> {
    const kindDir = task.kind === 'channels' ? 'channels' : 'users';
    const v1 = task.kind === 'channels' && task.channels!.version === 'v1';
    const name = `${kindDir}-${task.id}.${v1 ? 'json' : 'jsonl'}${this.opts.gzip ? '.gz' : ''}`;
    const key = `exports/${kindDir}/${task.id}/${name}`;
    const file = path.join(this.opts.dir, key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    let messages: number;
    if (task.kind === 'channels') {
      const p = task.channels!;
      const res = await writeChannelExport(file, this.ds, {
        version: p.version,
        shape: this.opts.shape,
        gzip: this.opts.gzip,
        channels: p.channels,
        include_truncated_messages: p.include_truncated_messages,
        include_soft_deleted_channels: p.include_soft_deleted_channels,
        clear_deleted_message_text: p.clear_deleted_message_text,
      });
      messages = res.messages;
    } else {
      const res = await writeUserExport(file, this.ds, task.userIds!, { shape: this.opts.shape, gzip: this.opts.gzip, maxMessagesPerUser: this.opts.userMessageCap });
      messages = res.messages;
      task.truncatedUsers = res.truncatedUsers;
    }
    const hash = crypto.createHash('md5');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    const bytes = (await fs.promises.stat(file)).size;
    const contentType = this.opts.gzip ? 'application/gzip' : v1 ? 'application/json' : 'application/x-ndjson';
    return { path: file, key, name, bytes, md5: hash.digest('hex'), contentType, messages };
  }

  private sign(pathname: string, expires: number): string {
    return crypto.createHmac('sha256', this.signKey).update(`${pathname}\n${expires}`).digest('hex');
  }

  /** A freshly signed download URL (relative to the base URL) for a completed task. */
  mintUrl(task: Task, baseURL: string, ttlMs = this.opts.urlTtlMs): string {
    const file = task.file!;
    const expires = Math.floor((this.opts.clock.now() + ttlMs) / 1000);
    const pathname = `/${file.key.split('/').map(encodeURIComponent).join('/')}`;
    return `${baseURL}${pathname}?expires=${expires}&sig=${this.sign(pathname, expires)}`;
  }

  /** Check a download request; returns the task or an S3-style refusal. */
  verify(pathname: string, query: URLSearchParams): { task: Task } | { status: number; code: string; message: string } {
    const m = /^\/exports\/(channels|users)\/([0-9a-f-]{36})\/([^/]+)$/.exec(pathname);
    const task = m ? this.tasks.get(m[2]) : undefined;
    const expires = query.get('expires');
    const sig = query.get('sig');
    if (!expires || !sig) {
      return { status: 403, code: 'AccessDenied', message: 'Query-string authentication requires the expires and sig parameters' };
    }
    const expected = this.sign(pathname, Number(expires));
    if (!/^\d+$/.test(expires) || sig.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
      return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
    }
    const now = this.opts.clock.now();
    if (now >= Number(expires) * 1000) return { status: 403, code: 'AccessDenied', message: 'Request has expired' };
    if (!task || !task.file || `/${task.file.key.split('/').map(encodeURIComponent).join('/')}` !== pathname) {
      return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    }
    if (task.completedAt !== undefined && now >= task.completedAt + this.opts.retentionMs) {
      fs.rmSync(task.file.path, { force: true });
      return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    }
    return { task };
  }

  /** The status body shared by GET /export_channels/{id} and GET /tasks/{id}. */
  statusBody(task: Task, baseURL: string, urlTtlMs?: number): Record<string, unknown> {
    const body: Record<string, unknown> = {
      task_id: task.id,
      status: task.status,
      created_at: formatUs(task.createdAt * 1000),
      updated_at: formatUs(task.updatedAt * 1000),
    };
    if (task.status === 'completed' && task.file) {
      const result: Record<string, unknown> = { url: this.mintUrl(task, baseURL, urlTtlMs) };
      if (task.kind === 'channels') {
        result.path = task.file.key;
        result.s3_bucket_name = 'stream-sandbox-exports';
      }
      body.result = result;
    }
    if (task.status === 'failed' && task.error) body.error = task.error;
    return body;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

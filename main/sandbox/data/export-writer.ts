/**
 * Writes Stream export files (v1 JSON array, v2 JSON Lines, user exports) from a Dataset, streaming
 * to disk in ~1 MB chunks: the file is never built in memory, and messages are generated lazily.
 * Formats and assumptions are documented in main/sandbox/README.md.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { goJson } from './json.ts';
import { parseTimeUs } from './time.ts';
import type { Dataset, MessageEntry } from './index.ts';
import type { StreamMessage, StreamReaction, StreamUser, StreamChannel } from './types.ts';

export type LineShape = 'envelope' | 'wrapper' | 'bare';
export type EntityType = 'channel' | 'user' | 'member' | 'message' | 'reaction' | 'read';

/** One channel to export with its own window (as in the ExportChannels request). */
export interface ChannelSelection {
  cid: string;
  messages_since?: string | null;
  messages_until?: string | null;
}

export interface WriteExportOptions {
  version: 'v1' | 'v2';
  /** v2 line shape; default 'envelope'. */
  shape?: LineShape;
  gzip?: boolean;
  /** Channels to export (default: all). `channels` (per-channel windows) wins over `cids`. */
  cids?: string[];
  channels?: ChannelSelection[];
  /** Global window on message created_at: since inclusive, until exclusive. */
  messages_since?: string | null;
  messages_until?: string | null;
  include_truncated_messages?: boolean;
  include_soft_deleted_channels?: boolean;
  clear_deleted_message_text?: boolean;
}

export interface WriteUserExportOptions {
  gzip?: boolean;
  shape?: LineShape;
  /** Stream documents a 10,000 messages per user cap; the rest is left out. */
  maxMessagesPerUser?: number;
}

const CHUNK = 1 << 20;

/** Formats one v2 line (with trailing newline). */
export function formatLine(shape: LineShape, type: EntityType, entity: unknown): string {
  const json = goJson(entity);
  if (shape === 'envelope') return `{"type":"${type}","data":${json}}\n`;
  if (shape === 'wrapper') return `{"${type}":${json}}\n`;
  return json + '\n';
}

type Chunked = AsyncGenerator<Buffer, void, unknown>;

class ChunkBuffer {
  parts: string[] = [];
  size = 0;
  push(s: string): boolean {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= CHUNK;
  }
  take(): Buffer {
    const b = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    return b;
  }
}

async function writeStream(path: string, gen: Chunked, gzip: boolean): Promise<number> {
  const src = Readable.from(gen, { objectMode: false });
  const out = fs.createWriteStream(path);
  if (gzip) await pipeline(src, zlib.createGzip({ level: 6 }), out);
  else await pipeline(src, out);
  return (await fs.promises.stat(path)).size;
}

function channelEntries(ds: Dataset, cid: string): Iterable<MessageEntry> | undefined {
  const withEntries = ds as Dataset & { entries?: (cid: string) => Iterable<MessageEntry> };
  return typeof withEntries.entries === 'function' ? withEntries.entries(cid) : undefined;
}

function toUs(s: string | null | undefined, what: string): number | undefined {
  if (s === undefined || s === null || s === '') return undefined;
  const us = parseTimeUs(s);
  if (Number.isNaN(us)) throw new Error(`${what} is not an RFC3339 time: ${s}`);
  return us;
}

interface ResolvedChannel {
  channel: StreamChannel;
  sinceUs?: number;
  untilUs?: number;
  truncatedUs?: number;
}

function resolveChannels(ds: Dataset, opts: WriteExportOptions): ResolvedChannel[] {
  const byCid = new Map(ds.channels.map((c) => [c.cid, c]));
  const selections: ChannelSelection[] = opts.channels ?? (opts.cids ?? ds.channels.map((c) => c.cid)).map((cid) => ({ cid }));
  const gSince = toUs(opts.messages_since, 'messages_since');
  const gUntil = toUs(opts.messages_until, 'messages_until');
  const out: ResolvedChannel[] = [];
  const seen = new Set<string>();
  for (const sel of selections) {
    if (seen.has(sel.cid)) continue;
    seen.add(sel.cid);
    const channel = byCid.get(sel.cid);
    if (!channel) throw new Error(`Can't find channel with id ${sel.cid}`);
    // Soft-deleted channels are left out unless asked for (Stream's default).
    if (channel.deleted_at && !opts.include_soft_deleted_channels) continue;
    out.push({
      channel,
      sinceUs: toUs(sel.messages_since, 'messages_since') ?? gSince,
      untilUs: toUs(sel.messages_until, 'messages_until') ?? gUntil,
      truncatedUs: opts.include_truncated_messages ? undefined : toUs(channel.truncated_at, 'truncated_at'),
    });
  }
  return out;
}

function keepMessage(m: StreamMessage, rc: ResolvedChannel): boolean {
  if (rc.sinceUs === undefined && rc.untilUs === undefined && rc.truncatedUs === undefined) return true;
  const t = parseTimeUs(m.created_at);
  if (rc.sinceUs !== undefined && t < rc.sinceUs) return false;
  if (rc.untilUs !== undefined && t >= rc.untilUs) return false;
  if (rc.truncatedUs !== undefined && t < rc.truncatedUs) return false;
  return true;
}

function outMessage(m: StreamMessage, clear: boolean): StreamMessage {
  if (clear && m.type === 'deleted') return { ...m, text: '', html: '' };
  return m;
}

/** Messages kept for a channel, each with its reactions (single generation pass when possible). */
function* keptEntries(ds: Dataset, rc: ResolvedChannel, wantReactions: boolean): Generator<MessageEntry> {
  const cid = rc.channel.cid;
  const entries = channelEntries(ds, cid);
  if (entries) {
    for (const e of entries) if (keepMessage(e.message, rc)) yield e;
    return;
  }
  const kept: StreamMessage[] = [];
  for (const m of ds.messages(cid)) if (keepMessage(m, rc)) kept.push(m);
  const byMessage = new Map<string, StreamReaction[]>();
  if (wantReactions) {
    const ids = new Set(kept.map((m) => m.id));
    for (const r of ds.reactions(cid)) {
      if (!ids.has(r.message_id)) continue;
      const list = byMessage.get(r.message_id);
      if (list) list.push(r);
      else byMessage.set(r.message_id, [r]);
    }
  }
  for (const m of kept) yield { message: m, reactions: byMessage.get(m.id) ?? [] };
}

function usersOf(ds: Dataset, channels: ResolvedChannel[]): StreamUser[] {
  const byId = new Map(ds.users.map((u) => [u.id, u]));
  const ids = new Set<string>();
  const withUsers = ds as Dataset & { channelUserIds?: (cid: string) => string[] };
  for (const rc of channels) {
    if (typeof withUsers.channelUserIds === 'function') for (const id of withUsers.channelUserIds(rc.channel.cid)) ids.add(id);
    else {
      for (const m of ds.members(rc.channel.cid)) ids.add(m.user_id);
      for (const m of ds.messages(rc.channel.cid)) if (m.user) ids.add(m.user.id);
    }
    if (rc.channel.created_by) ids.add(rc.channel.created_by.id);
  }
  return [...ids].map((id) => byId.get(id)).filter((u): u is StreamUser => u !== undefined);
}

/** Write a channel export (`POST /export_channels`) to `path`. */
export async function writeChannelExport(
  path: string,
  ds: Dataset,
  opts: WriteExportOptions,
): Promise<{ bytes: number; messages: number; channels: number }> {
  const channels = resolveChannels(ds, opts);
  const shape = opts.shape ?? 'envelope';
  const clear = opts.clear_deleted_message_text === true;
  let messages = 0;

  async function* v2(): Chunked {
    const buf = new ChunkBuffer();
    for (const u of usersOf(ds, channels)) if (buf.push(formatLine(shape, 'user', u))) yield buf.take();
    for (const rc of channels) {
      const cid = rc.channel.cid;
      if (buf.push(formatLine(shape, 'channel', rc.channel))) yield buf.take();
      for (const m of ds.members(cid)) if (buf.push(formatLine(shape, 'member', m))) yield buf.take();
      const reactions: StreamReaction[] = [];
      for (const e of keptEntries(ds, rc, true)) {
        messages++;
        for (const r of e.reactions) reactions.push(r);
        if (buf.push(formatLine(shape, 'message', outMessage(e.message, clear)))) yield buf.take();
      }
      for (const r of reactions) if (buf.push(formatLine(shape, 'reaction', r))) yield buf.take();
      for (const r of ds.reads(cid)) if (buf.push(formatLine(shape, 'read', r))) yield buf.take();
    }
    if (buf.size > 0) yield buf.take();
  }

  async function* v1(): Chunked {
    const buf = new ChunkBuffer();
    buf.push('[');
    let firstChannel = true;
    for (const rc of channels) {
      buf.push(`${firstChannel ? '' : ','}{"channel":${goJson(rc.channel)},"messages":[`);
      firstChannel = false;
      let first = true;
      for (const e of keptEntries(ds, rc, false)) {
        messages++;
        const full = buf.push((first ? '' : ',') + goJson(outMessage(e.message, clear)));
        first = false;
        if (full) yield buf.take();
      }
      buf.push(`],"members":${goJson(ds.members(rc.channel.cid))}}`);
      if (buf.size >= CHUNK) yield buf.take();
    }
    buf.push(']');
    yield buf.take();
  }

  const bytes = await writeStream(path, opts.version === 'v1' ? v1() : v2(), opts.gzip === true);
  return { bytes, messages, channels: channels.length };
}

/** Write a user export (`POST /export/users`): per user, its user line, messages, then reactions. */
export async function writeUserExport(
  path: string,
  ds: Dataset,
  userIds: string[],
  opts: WriteUserExportOptions = {},
): Promise<{ bytes: number; messages: number; truncatedUsers: string[] }> {
  const shape = opts.shape ?? 'envelope';
  const cap = opts.maxMessagesPerUser ?? Number.POSITIVE_INFINITY;
  const byId = new Map(ds.users.map((u) => [u.id, u]));
  for (const id of userIds) if (!byId.has(id)) throw new Error(`Can't find user with id ${id}`);
  const withIndex = ds as Dataset & { userChannels?: (id: string) => string[] };
  let messages = 0;
  const truncatedUsers: string[] = [];

  async function* gen(): Chunked {
    const buf = new ChunkBuffer();
    for (const id of new Set(userIds)) {
      if (buf.push(formatLine(shape, 'user', byId.get(id)))) yield buf.take();
      const cids = typeof withIndex.userChannels === 'function' ? withIndex.userChannels(id) : ds.channels.map((c) => c.cid);
      const reactions: StreamReaction[] = [];
      let count = 0;
      for (const cid of cids) {
        const rc: ResolvedChannel = { channel: ds.channels.find((c) => c.cid === cid) as StreamChannel };
        for (const e of keptEntries(ds, rc, true)) {
          for (const r of e.reactions) if (r.user_id === id) reactions.push(r);
          if (e.message.user?.id !== id) continue;
          if (count >= cap) {
            if (!truncatedUsers.includes(id)) truncatedUsers.push(id);
            continue;
          }
          count++;
          messages++;
          if (buf.push(formatLine(shape, 'message', e.message))) yield buf.take();
        }
      }
      for (const r of reactions) if (buf.push(formatLine(shape, 'reaction', r))) yield buf.take();
    }
    if (buf.size > 0) yield buf.take();
  }

  const bytes = await writeStream(path, gen(), opts.gzip === true);
  return { bytes, messages, truncatedUsers };
}

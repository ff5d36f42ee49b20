import fs from 'node:fs';
import zlib from 'node:zlib';
import { ftsPathFor, type ArchiveDb } from './db.ts';
import { FLAG } from './import/records.ts';
import { idHash } from './id-hash.ts';
import { channelLabelSql } from './channel-label.ts';
import type {
  ArchiveStats, ChannelPage, ChannelPageRequest, ChannelSummary, ContextRequest, ContextResult, EvidenceFileView,
  MessageVersionView, MessageView, ThreadResult,
} from './types.ts';

/** A lookup that failed because the thing is not in the archive (shown to the user as is). */
export class NotFoundError extends Error {
  readonly code = 'not_found';
}

const clamp = (n: number | undefined, d: number, max: number) => Math.max(0, Math.min(max, Math.floor(n ?? d)));
const TOP_LEVEL = '(m.parent_id IS NULL OR m.show_in_channel = 1)';

/** Conversation reading: always bounded pages, never a whole channel. */
export class Reader {
  private db: ArchiveDb;
  constructor(db: ArchiveDb) {
    this.db = db;
  }

  views(rowids: number[]): MessageView[] {
    if (!rowids.length) return [];
    const ph = rowids.map(() => '?').join(',');
    const rows = this.db.prepare(
      `SELECT m.tkey AS rowid, m.id, c.cid, u.id AS user_id, u.name AS user_name, m.created_at, m.updated_at, m.deleted_at, m.type,
              m.text, m.parent_id, m.reply_count, m.flags, m.versions
       FROM messages m JOIN channels c ON c.pk = m.channel_pk LEFT JOIN users u ON u.pk = m.user_pk
       WHERE m.tkey IN (${ph})`,
    ).all(...rowids) as any[];
    const ids = rows.map((r) => r.id as string);
    const reactions = new Map<string, MessageView['reactions']>();
    if (ids.length) {
      const rr = this.db.prepare(
        `SELECT r.message_id, r.type, count(*) AS n, json_group_array(u.id) AS users FROM reactions r JOIN users u ON u.pk = r.user_pk
         WHERE r.message_id IN (${ids.map(() => '?').join(',')}) GROUP BY r.message_id, r.type ORDER BY n DESC`,
      ).all(...ids) as any[];
      for (const r of rr) {
        const list = reactions.get(r.message_id) ?? [];
        list.push({ type: r.type, count: r.n, user_ids: JSON.parse(r.users) });
        reactions.set(r.message_id, list);
      }
    }
    const atts = new Map<number, MessageView['attachments']>();
    const ar = this.db.prepare(
      `SELECT message_rowid, type, title, url, mime_type, file_size FROM attachments WHERE message_rowid IN (${ph}) ORDER BY message_rowid, idx`,
    ).all(...rowids) as any[];
    for (const a of ar) {
      const list = atts.get(a.message_rowid) ?? [];
      list.push({ type: a.type, title: a.title, url: a.url, mime_type: a.mime_type, file_size: a.file_size });
      atts.set(a.message_rowid, list);
    }
    const byRow = new Map(rows.map((r) => [r.rowid as number, r]));
    return rowids.flatMap((rowid) => {
      const r = byRow.get(rowid);
      if (!r) return [];
      return [{
        message_id: r.id, cid: r.cid, user_id: r.user_id, user_name: r.user_name, created_at: r.created_at,
        updated_at: r.updated_at, deleted_at: r.deleted_at, type: r.type, text: r.text, parent_id: r.parent_id,
        reply_count: r.reply_count, pinned: !!(r.flags & FLAG.pinned), edited: !!(r.flags & FLAG.edited) || r.versions > 1,
        versions: r.versions, reactions: reactions.get(r.id) ?? [], attachments: atts.get(rowid) ?? [],
      }];
    });
  }

  private anchor(messageId: string) {
    const a = this.db.prepare(
      `SELECT m.tkey AS rowid, m.channel_pk, m.parent_id, m.show_in_channel, c.cid, c.name, ${channelLabelSql('c')} AS label
       FROM messages m JOIN channels c ON c.pk = m.channel_pk WHERE m.id_hash = ? AND m.id = ?`,
    ).get(idHash(messageId), messageId) as {
      rowid: number; channel_pk: number; parent_id: string | null; show_in_channel: number; cid: string; name: string | null; label: string;
    } | undefined;
    if (!a) throw new NotFoundError(`Message ${messageId} is not in the archive.`);
    return a;
  }

  context(req: ContextRequest): ContextResult {
    const a = this.anchor(req.message_id);
    const before = clamp(req.before, 20, 500);
    const after = clamp(req.after, 20, 500);
    const inThread = a.parent_id != null && !a.show_in_channel;
    const scope = inThread ? 'm.parent_id = ?' : `m.channel_pk = ? AND ${TOP_LEVEL}`;
    const key = inThread ? a.parent_id : a.channel_pk;
    const older = this.db.prepare(`SELECT m.tkey AS rowid FROM messages m WHERE ${scope} AND m.tkey < ? ORDER BY m.tkey DESC LIMIT ?`)
      .all(key, a.rowid, before + 1).map((r: any) => r.rowid as number);
    const newer = this.db.prepare(`SELECT m.tkey AS rowid FROM messages m WHERE ${scope} AND m.tkey > ? ORDER BY m.tkey ASC LIMIT ?`)
      .all(key, a.rowid, after + 1).map((r: any) => r.rowid as number);
    const ids = [...older.slice(0, before).reverse(), a.rowid, ...newer.slice(0, after)];
    return {
      cid: a.cid, channel_name: a.name, channel_label: a.label, anchor: req.message_id, messages: this.views(ids),
      has_more_before: older.length > before, has_more_after: newer.length > after,
    };
  }

  channelPage(req: ChannelPageRequest): ChannelPage {
    const ch = this.db.prepare('SELECT pk FROM channels WHERE cid = ?').get(req.cid) as { pk: number } | undefined;
    if (!ch) throw new NotFoundError(`Channel ${req.cid} is not in the archive.`);
    const limit = clamp(req.limit, 100, 1000) || 1;
    const rowOf = (id: string) => this.anchor(id).rowid;
    let ids: number[];
    let moreBefore = false;
    let moreAfter = false;
    if (req.after) {
      const r = this.db.prepare(`SELECT m.tkey AS rowid FROM messages m WHERE m.channel_pk = ? AND ${TOP_LEVEL} AND m.tkey > ? ORDER BY m.tkey ASC LIMIT ?`)
        .all(ch.pk, rowOf(req.after), limit + 1).map((x: any) => x.rowid as number);
      moreAfter = r.length > limit;
      ids = r.slice(0, limit);
      moreBefore = true;
    } else {
      const bound = req.before ? rowOf(req.before) : Number.MAX_SAFE_INTEGER;
      const r = this.db.prepare(`SELECT m.tkey AS rowid FROM messages m WHERE m.channel_pk = ? AND ${TOP_LEVEL} AND m.tkey < ? ORDER BY m.tkey DESC LIMIT ?`)
        .all(ch.pk, bound, limit + 1).map((x: any) => x.rowid as number);
      moreBefore = r.length > limit;
      ids = r.slice(0, limit).reverse();
      moreAfter = !!req.before;
    }
    return { cid: req.cid, messages: this.views(ids), has_more_before: moreBefore, has_more_after: moreAfter };
  }

  thread(messageId: string): ThreadResult {
    const a = this.anchor(messageId);
    const parentId = a.parent_id ?? messageId;
    const p = this.anchor(parentId);
    const replies = this.db.prepare('SELECT tkey AS rowid FROM messages WHERE parent_id = ? ORDER BY tkey LIMIT 5000').all(parentId).map((r: any) => r.rowid as number);
    const [parent] = this.views([p.rowid]);
    return { parent, replies: this.views(replies) };
  }

  /**
   * The message's original JSON exactly as it stands in its evidence file (the newest version's
   * file). Gzip evidence is decompressed up to the message — slower, but exact.
   */
  async raw(messageId: string): Promise<{ json: string; sha256: string; offset: number; length: number }> {
    const r = this.db.prepare(
      `SELECT m.raw, m.raw_off, m.raw_len, f.sha256, f.evidence_path, f.gzip FROM messages m JOIN files f ON f.id = m.file_id WHERE m.id_hash = ? AND m.id = ?`,
    ).get(idHash(messageId), messageId) as { raw: string | null; raw_off: number; raw_len: number; sha256: string; evidence_path: string | null; gzip: number } | undefined;
    if (!r) throw new NotFoundError(`Message ${messageId} is not in the archive.`);
    if (r.raw != null || r.raw_off < 0) return { json: r.raw ?? '', sha256: r.sha256, offset: -1, length: -1 };
    if (!r.evidence_path || !fs.existsSync(r.evidence_path)) {
      throw new NotFoundError(`The evidence file ${r.sha256} holding message ${messageId} is missing from the evidence store.`);
    }
    if (!r.gzip) {
      const fd = fs.openSync(r.evidence_path, 'r');
      try {
        const buf = Buffer.alloc(r.raw_len);
        fs.readSync(fd, buf, 0, r.raw_len, r.raw_off);
        return { json: buf.toString('utf8'), sha256: r.sha256, offset: r.raw_off, length: r.raw_len };
      } finally {
        fs.closeSync(fd);
      }
    }
    const parts: Buffer[] = [];
    let pos = 0;
    const end = r.raw_off + r.raw_len;
    for await (const chunk of fs.createReadStream(r.evidence_path).pipe(zlib.createGunzip()) as AsyncIterable<Buffer>) {
      const s = Math.max(0, r.raw_off - pos);
      const e = Math.min(chunk.length, end - pos);
      if (e > s) parts.push(chunk.subarray(s, e));
      pos += chunk.length;
      if (pos >= end) break;
    }
    return { json: Buffer.concat(parts).toString('utf8'), sha256: r.sha256, offset: r.raw_off, length: r.raw_len };
  }

  versions(messageId: string): MessageVersionView[] {
    const a = this.anchor(messageId);
    const rows = this.db.prepare('SELECT version, text, updated_at, deleted_at, type FROM message_versions WHERE message_rowid = ? ORDER BY version').all(a.rowid) as any[];
    if (rows.length === 0) {
      const m = this.db.prepare('SELECT text, updated_at, deleted_at, type FROM messages WHERE tkey = ?').get(a.rowid) as any;
      rows.push({ version: 1, ...m });
    }
    return rows.map((r) => ({ version: r.version, text: r.text, updated_at: r.updated_at, deleted: r.type === 'deleted' || !!r.deleted_at }));
  }

  channels(opts: { query?: string; limit?: number; offset?: number } = {}): ChannelSummary[] {
    const limit = clamp(opts.limit, 100, 1000);
    const offset = clamp(opts.offset, 0, 1e9);
    const q = opts.query ? `%${opts.query.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%` : null;
    const rows = this.db.prepare(
      `SELECT c.pk, c.cid, c.type, c.name, ${channelLabelSql('c')} AS label, c.deleted_at,
              (SELECT count(*) FROM messages m WHERE m.channel_pk = c.pk) AS messages,
              (SELECT count(*) FROM members x WHERE x.channel_pk = c.pk) AS members,
              (SELECT min(tkey) FROM messages m WHERE m.channel_pk = c.pk) AS first_row,
              (SELECT max(tkey) FROM messages m WHERE m.channel_pk = c.pk) AS last_row
       FROM channels c WHERE (@q IS NULL OR lower(c.cid) LIKE @q ESCAPE '\\' OR c.name_fold LIKE @q ESCAPE '\\')
       ORDER BY last_row DESC NULLS LAST LIMIT @limit OFFSET @offset`,
    ).all({ q, limit, offset }) as any[];
    const iso = (r: number | null) => (r == null ? null : new Date(Math.floor(r / 2000)).toISOString());
    return rows.map((r) => ({
      cid: r.cid, type: r.type, name: r.name, label: r.label, messages: r.messages, members: r.members,
      first_message_at: iso(r.first_row), last_message_at: iso(r.last_row), deleted: !!r.deleted_at,
    }));
  }

  users(opts: { query?: string; limit?: number } = {}): { id: string; name: string | null; role: string | null }[] {
    const limit = clamp(opts.limit, 100, 1000);
    const q = opts.query ? `%${opts.query.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%` : null;
    return this.db.prepare(
      `SELECT id, name, role FROM users WHERE (@q IS NULL OR lower(id) LIKE @q ESCAPE '\\' OR name_fold LIKE @q ESCAPE '\\') ORDER BY name_fold LIMIT @limit`,
    ).all({ q, limit }) as any[];
  }

  /**
   * Messages of one imported file per channel and per user (the file held them: newest version
   * or a sighting). null when the file was never fully imported. For completeness reports.
   */
  fileMessageCounts(sha256: string): { channels: Record<string, number>; users: Record<string, number> } | null {
    const f = this.db.prepare(`SELECT id FROM files WHERE sha256 = ? AND status = 'complete'`).get(sha256) as { id: number } | undefined;
    if (!f) return null;
    const rows = this.db.prepare(
      `SELECT c.cid, u.id AS uid, count(*) AS n FROM (
         SELECT tkey FROM messages WHERE file_id = @id
         UNION SELECT message_rowid FROM message_sightings WHERE file_id = @id) k
       JOIN messages m ON m.tkey = k.tkey JOIN channels c ON c.pk = m.channel_pk LEFT JOIN users u ON u.pk = m.user_pk
       GROUP BY c.cid, u.id`,
    ).all({ id: f.id }) as { cid: string; uid: string | null; n: number }[];
    const channels: Record<string, number> = {};
    const users: Record<string, number> = {};
    for (const r of rows) {
      channels[r.cid] = (channels[r.cid] ?? 0) + r.n;
      if (r.uid) users[r.uid] = (users[r.uid] ?? 0) + r.n;
    }
    return { channels, users };
  }

  evidence(): EvidenceFileView[] {
    return this.db.prepare(
      `SELECT sha256, path, size, format, coalesce(imported_at, started_at) AS imported_at, messages, rejected FROM files ORDER BY id`,
    ).all() as EvidenceFileView[];
  }

  stats(dbPath: string): ArchiveStats {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    const range = this.db.prepare('SELECT min(tkey) AS lo, max(tkey) AS hi FROM messages').get() as { lo: number | null; hi: number | null };
    const iso = (r: number | null) => (r == null ? null : new Date(Math.floor(r / 2000)).toISOString());
    let bytes = 0;
    const fts = ftsPathFor(dbPath);
    for (const f of [dbPath, dbPath + '-wal', fts, fts + '-wal']) bytes += fs.existsSync(f) ? fs.statSync(f).size : 0;
    return {
      messages: one('SELECT count(*) n FROM messages'),
      message_versions: one('SELECT count(*) n FROM message_versions'),
      deleted_messages: one(`SELECT count(*) n FROM messages WHERE flags & ${FLAG.deleted}`),
      channels: one('SELECT count(*) n FROM channels'),
      users: one('SELECT count(*) n FROM users'),
      members: one('SELECT count(*) n FROM members'),
      reactions: one('SELECT count(*) n FROM reactions'),
      attachments: one('SELECT count(*) n FROM attachments'),
      reads: one('SELECT count(*) n FROM reads'),
      files: one("SELECT count(*) n FROM files WHERE status = 'complete'"),
      rejected_lines: one('SELECT count(*) n FROM rejections'),
      first_message_at: iso(range.lo),
      last_message_at: iso(range.hi),
      db_bytes: bytes,
      sqlite_version: (this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
      schema_version: this.db.pragma('user_version', { simple: true }) as number,
    };
  }
}

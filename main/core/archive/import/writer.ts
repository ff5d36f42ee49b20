import type Database from 'better-sqlite3';
import { FLAG, type Batch, type MessageRec, type ReactionRec } from './records.ts';
import { idHash } from '../id-hash.ts';
import { IdBloom, mixKey } from './bloom.ts';
import { dropMessageIndexes, ensureMessageIndexes } from '../schema.ts';
import { metaTokens } from '../meta-tokens.ts';

/** A bulk load holds back at most this many messages it cannot place blindly, then ends. */
const MAX_DEFERRED = 50_000;

const MSG_COLS = `tkey, id_hash, id, channel_pk, user_pk, parent_id, type, text, att_text, meta, created_at, updated_at,
  deleted_at, flags, reply_count, show_in_channel, content_hash, file_id, raw_off, raw_len, raw`;
const MSG_ROW = '(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)';
/**
 * A bulk-appended row: the values every row shares are literals in the statement (meta is
 * derived by the indexer, the file is the one being imported, raw stays in the evidence file):
 * each bound parameter costs, ≈ 0.4 s per 1M messages for these three.
 */
const appendRow = (fileId: number, nulls = 0) => {
  const v = (bit: number) => (nulls & bit ? 'NULL' : '?');
  return `(?,?,?,?,?,${v(NULL_PARENT)},?,?,${v(NULL_ATT)},'',?,${v(NULL_UPDATED)},${v(NULL_DELETED)},?,?,?,?,${fileId},?,?,NULL)`;
};
/**
 * Bulk-appended rows are grouped by which of these columns are NULL, each group with its own
 * statement that has them as literals: binding a null costs more than binding a string (≈ 0.14 µs,
 * five type checks in better-sqlite3), and most messages have three of them.
 */
const NULL_PARENT = 1, NULL_ATT = 2, NULL_UPDATED = 4, NULL_DELETED = 8;
const APPEND_PARAMS = 18;
const STAGED_REACTION = '(?,?,?,?,?,?,nullif(?,0),nullif(?,-1),nullif(?,-1),nullif(?,0))';
const bitCount = (n: number) => (n & 1) + ((n >> 1) & 1) + ((n >> 2) & 1) + ((n >> 3) & 1);
/** A bulk load appends messages this many per statement (a quarter less insert time than one by one). */
const APPEND_ROWS = 8;
const ATT_PARAMS = 7;

export interface FileCounts {
  messages: number; new_messages: number; new_versions: number; channels: number; users: number;
  members: number; reactions: number; attachments: number; reads: number; rejected: number; others: number;
}

const fold = (s: string | null) => (s == null ? null : s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase());

/**
 * Writes normalized batches into the archive for one file. Stream ids are identity: an entity
 * seen again updates in place (latest wins by updated_at), a message whose content changed gains
 * a version row (all distinct versions kept), and nothing is ever duplicated.
 */
export class ArchiveWriter {
  readonly counts: FileCounts = {
    messages: 0, new_messages: 0, new_versions: 0, channels: 0, users: 0, members: 0, reactions: 0,
    attachments: 0, reads: 0, rejected: 0, others: 0,
  };
  private userPk = new Map<string, number>();
  private channelPk = new Map<string, number>();
  private lastCid = '';
  private lastCpk = 0;
  private seenUsers = new Set<string>();
  private seenChannels = new Set<string>();
  private s;
  private db: Database.Database;
  private fileId: number;

  private bloom: IdBloom;
  /**
   * Bulk load (first import into an empty archive): the message indexes are dropped and rebuilt
   * at the end (one sort each instead of millions of random inserts). Without the unique time-key
   * and id indexes, a message is appended blindly only when Bloom filters prove its id and time
   * key new; any other is deferred and placed through the indexed path once they are rebuilt.
   */
  private bulk: boolean;
  private tkeyBloom: IdBloom | null = null;
  private deferred: MessageRec[] = [];
  private staged: {
    reaction: Database.Statement; reactions: Database.Statement; attachment: Database.Statement; attachments: Database.Statement;
  } | null = null;
  /** Parameters of staged attachments not yet inserted (< APPEND_ROWS rows). */
  private attArgs: unknown[] = [];
  /** Parameters of staged reactions not yet inserted (< APPEND_ROWS rows; see flushAppends). */
  private reactArgs: unknown[] = [];
  private bulkStats = { bulk: false, deferred: 0, index_ms: 0, build_ms: {} as Record<string, number> };
  /**
   * Blindly appended messages (bulk load), per null pattern (appendRow): parameters of rows not
   * yet inserted (< APPEND_ROWS rows), and the pattern's statements, prepared when first needed.
   */
  private appends: { args: unknown[]; params: number; many: Database.Statement | null; one: Database.Statement | null }[] =
    Array.from({ length: 16 }, (_, nulls) => ({ args: [], params: APPEND_PARAMS - bitCount(nulls), many: null, one: null }));
  private appendSql(nulls: number, rows: number) {
    // OR FAIL: a multi-row statement that may ABORT keeps a statement journal (every page it
    // touches copied to a temporary file first, ≈ 0.4 s per 1M messages). FAIL needs none; a
    // failing row still fails the import, whose transaction is then rolled back whole.
    const st = this.db.prepare(`INSERT OR FAIL INTO messages (${MSG_COLS}) VALUES ${Array(rows).fill(appendRow(this.fileId, nulls)).join(',')}`);
    return this.profiling ? this.timed(rows > 1 ? 'msgAppend' : 'msgAppend1', st) : st;
  }

  constructor(db: Database.Database, fileId: number, expectedNew = 0) {
    if (!Number.isSafeInteger(fileId)) throw new Error(`invalid file id ${fileId}`); // it becomes a literal in msgAppend
    this.db = db;
    this.fileId = fileId;
    const existing = (db.prepare('SELECT count(*) FROM messages').pluck().get() as number) ?? 0;
    this.bloom = new IdBloom(existing + expectedNew);
    if (existing) for (const h of db.prepare('SELECT id_hash FROM messages').pluck().iterate()) this.bloom.add(h as number);
    this.bulk = existing === 0;
    if (!this.bulk && !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'messages_tkey'").get()) {
      // Only another process's first import (a bulk load) leaves them missing while it runs:
      // writing beside it without the unique keys could place two messages on one time key.
      throw new Error('another import is building this archive right now; import again when it has finished');
    }
    if (this.bulk) {
      dropMessageIndexes(db);
      this.tkeyBloom = new IdBloom(expectedNew);
      this.bulkStats.bulk = true;
      // Reactions and attachments are keyed by message (random order in a file): appended to
      // temporary tables now, inserted sorted (sequential B-tree writes) when the load ends.
      db.exec(`CREATE TEMP TABLE IF NOT EXISTS bulk_reactions (message_id TEXT, user_pk INTEGER, type TEXT, score INTEGER, created_at TEXT,
                 updated_at TEXT, file_id INTEGER, raw_off INTEGER, raw_len INTEGER, raw TEXT);
               CREATE TEMP TABLE IF NOT EXISTS bulk_attachments (message_rowid INTEGER, idx INTEGER, type TEXT, title TEXT, url TEXT,
                 mime_type TEXT, file_size INTEGER);
               DELETE FROM bulk_reactions; DELETE FROM bulk_attachments;`);
      this.staged = {
        // Embedded reactions (most) have no file, offset, length or raw: bound as numbers that
        // nullif() turns into NULL, cheaper than binding nulls (see appendRow). Order is kept:
        // of two copies of a reaction with the same updated_at, the first one in the file stays.
        reaction: db.prepare(`INSERT INTO bulk_reactions VALUES ${STAGED_REACTION}`),
        reactions: db.prepare(`INSERT INTO bulk_reactions VALUES ${Array(APPEND_ROWS).fill(STAGED_REACTION).join(',')}`),
        attachment: db.prepare('INSERT INTO bulk_attachments VALUES (?,?,?,?,?,?,?)'),
        attachments: db.prepare(`INSERT INTO bulk_attachments VALUES ${Array(APPEND_ROWS).fill('(?,?,?,?,?,?,?)').join(',')}`),
      };
    }
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      userGet: p('SELECT pk, updated_at FROM users WHERE id = ?'),
      userIns: p('INSERT INTO users (id, name, name_fold, role, deleted_at, updated_at, raw, file_id) VALUES (?,?,?,?,?,?,?,?)'),
      userUpd: p('UPDATE users SET name=?, name_fold=?, role=?, deleted_at=?, updated_at=?, raw=? WHERE pk=?'),
      chanGet: p('SELECT pk, updated_at FROM channels WHERE cid = ?'),
      chanIns: p(`INSERT INTO channels (cid, type, id, name, name_fold, created_at, updated_at, deleted_at, truncated_at, member_count, raw, file_id)
                  VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`),
      chanUpd: p(`UPDATE channels SET name=?, name_fold=?, created_at=coalesce(?,created_at), updated_at=?, deleted_at=?, truncated_at=?, member_count=?, raw=? WHERE pk=?`),
      chanStub: p(`INSERT INTO channels (cid, type, id, file_id) VALUES (?,?,?,?)`),
      seen: p('INSERT OR IGNORE INTO entity_files (kind, pk, file_id) VALUES (?,?,?)'),
      memberUpsert: p(`INSERT INTO members (channel_pk, user_pk, role, channel_role, created_at, updated_at, deleted_at, raw, file_id)
                       VALUES (?,?,?,?,?,?,?,?,?)
                       ON CONFLICT (channel_pk, user_pk) DO UPDATE SET role=excluded.role, channel_role=excluded.channel_role,
                         created_at=excluded.created_at, updated_at=excluded.updated_at, deleted_at=excluded.deleted_at, raw=excluded.raw
                       WHERE excluded.updated_at IS NULL OR members.updated_at IS NULL OR excluded.updated_at >= members.updated_at`),
      msgIns: p(`INSERT INTO messages (${MSG_COLS}) VALUES ${MSG_ROW} ON CONFLICT DO NOTHING`),
      msgGet: p(`SELECT tkey AS rowid, channel_pk, user_pk, type, text, att_text, updated_at, deleted_at, flags, content_hash, versions,
                        file_id, raw_off, raw_len, raw FROM messages WHERE id_hash = ? AND id = ?`),
      ftsUpdate: p('INSERT INTO fts_updates (tkey) VALUES (?)'),
      msgUpd: p(`UPDATE messages SET type=?, text=?, att_text=?, updated_at=?, deleted_at=?, flags=?, reply_count=?,
                 content_hash=?, versions=?, file_id=?, raw_off=?, raw_len=?, raw=? WHERE tkey=?`),
      msgVersions: p('UPDATE messages SET versions=?, flags = flags | 16 WHERE tkey=?'),
      msgMinor: p('UPDATE messages SET reply_count = max(reply_count, ?) WHERE tkey = ?'),
      verHas: p('SELECT 1 FROM message_versions WHERE message_rowid = ? AND content_hash = ?'),
      verIns: p(`INSERT INTO message_versions (message_rowid, version, content_hash, type, text, updated_at, deleted_at, file_id, raw_off, raw_len, raw)
                 VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
      verMax: p('SELECT coalesce(max(version),0) v FROM message_versions WHERE message_rowid = ?'),
      sighting: p('INSERT OR IGNORE INTO message_sightings (message_rowid, file_id) VALUES (?,?)'),
      attDel: p('DELETE FROM attachments WHERE message_rowid = ?'),
      attIns: p('INSERT OR REPLACE INTO attachments (message_rowid, idx, type, title, url, mime_type, file_size) VALUES (?,?,?,?,?,?,?)'),
      reactUpsert: p(`INSERT INTO reactions (message_id, user_pk, type, score, created_at, updated_at, file_id, raw_off, raw_len, raw)
                      VALUES (?,?,?,?,?,?,?,?,?,?)
                      ON CONFLICT (message_id, user_pk, type) DO UPDATE SET score=excluded.score, updated_at=excluded.updated_at,
                        file_id=excluded.file_id, raw_off=excluded.raw_off, raw_len=excluded.raw_len, raw=excluded.raw
                      WHERE excluded.updated_at IS NOT NULL AND (reactions.updated_at IS NULL OR excluded.updated_at > reactions.updated_at)`),
      readUpsert: p(`INSERT INTO reads (channel_pk, user_pk, last_read, unread_messages, last_read_message_id, raw, file_id) VALUES (?,?,?,?,?,?,?)
                     ON CONFLICT (channel_pk, user_pk) DO UPDATE SET last_read=excluded.last_read, unread_messages=excluded.unread_messages,
                       last_read_message_id=excluded.last_read_message_id, raw=excluded.raw
                     WHERE excluded.last_read IS NULL OR reads.last_read IS NULL OR excluded.last_read >= reads.last_read`),
      other: p('INSERT OR IGNORE INTO other_entities (file_id, line, kind, raw) VALUES (?,?,?,?)'),
      reject: p('INSERT OR REPLACE INTO rejections (file_id, line, offset, reason, excerpt) VALUES (?,?,?,?,?)'),
    };
  }

  /** Per-statement time, when ARCHIVIST_IMPORT_TIMINGS is set (import profiling). */
  readonly timings: Record<string, number> = {};

  private profiling = false;

  profile() {
    this.profiling = true;
    for (const [name, st] of Object.entries(this.s)) this.timed(name, st);
  }

  private timed(name: string, st: Database.Statement) {
    for (const m of ['run', 'get', 'all'] as const) {
      const orig = (st as any)[m].bind(st);
      (st as any)[m] = (...a: unknown[]) => {
        const t0 = performance.now();
        try {
          return orig(...a);
        } finally {
          this.timings[name] = (this.timings[name] ?? 0) + performance.now() - t0;
        }
      };
    }
    return st;
  }

  private userRef(id: string): number {
    let pk = this.userPk.get(id);
    if (pk !== undefined) return pk;
    const row = this.s.userGet.get(id) as { pk: number } | undefined;
    pk = row ? row.pk : Number(this.s.userIns.run(id, null, null, null, null, null, null, this.fileId).lastInsertRowid);
    this.userPk.set(id, pk);
    return pk;
  }

  private channelRef(cid: string): number {
    // Exports list a channel's messages together: most lookups are for the previous channel.
    if (cid === this.lastCid) return this.lastCpk;
    let pk = this.channelPk.get(cid);
    if (pk !== undefined) {
      this.lastCid = cid;
      this.lastCpk = pk;
      return pk;
    }
    const row = this.s.chanGet.get(cid) as { pk: number } | undefined;
    if (row) pk = row.pk;
    else {
      const i = cid.indexOf(':');
      pk = Number(this.s.chanStub.run(cid, i > 0 ? cid.slice(0, i) : 'unknown', i > 0 ? cid.slice(i + 1) : cid, this.fileId).lastInsertRowid);
    }
    this.channelPk.set(cid, pk);
    this.lastCid = cid;
    this.lastCpk = pk;
    return pk;
  }

  /** Writes one batch; the caller wraps it in a transaction. */
  write(b: Batch): void {
    const s = this.s;
    for (const u of b.users) {
      const row = s.userGet.get(u.id) as { pk: number; updated_at: string | null } | undefined;
      let pk: number;
      if (!row) pk = Number(s.userIns.run(u.id, u.name, fold(u.name), u.role, u.deleted_at, u.updated_at, u.raw, this.fileId).lastInsertRowid);
      else {
        pk = row.pk;
        if (!row.updated_at || !u.updated_at || u.updated_at >= row.updated_at) {
          s.userUpd.run(u.name, fold(u.name), u.role, u.deleted_at, u.updated_at, u.raw, pk);
        }
      }
      this.userPk.set(u.id, pk);
      if (!this.seenUsers.has(u.id)) {
        this.seenUsers.add(u.id);
        this.counts.users++;
        s.seen.run('user', u.id, this.fileId);
      }
    }
    for (const c of b.channels) {
      const row = s.chanGet.get(c.cid) as { pk: number; updated_at: string | null } | undefined;
      let pk: number;
      if (!row) {
        pk = Number(s.chanIns.run(c.cid, c.type, c.id, c.name, fold(c.name), c.created_at, c.updated_at, c.deleted_at, c.truncated_at,
          c.member_count, c.raw, this.fileId).lastInsertRowid);
      } else {
        pk = row.pk;
        if (!row.updated_at || !c.updated_at || c.updated_at >= row.updated_at) {
          s.chanUpd.run(c.name, fold(c.name), c.created_at, c.updated_at, c.deleted_at, c.truncated_at, c.member_count, c.raw, pk);
        }
      }
      this.channelPk.set(c.cid, pk);
      if (!this.seenChannels.has(c.cid)) {
        this.seenChannels.add(c.cid);
        this.counts.channels++;
        s.seen.run('channel', c.cid, this.fileId);
      }
    }
    for (const m of b.members) {
      const cpk = this.channelRef(m.cid);
      const upk = this.userRef(m.user_id);
      s.memberUpsert.run(cpk, upk, m.role, m.channel_role, m.created_at, m.updated_at, m.deleted_at, m.raw, this.fileId);
      s.seen.run('member', `${m.cid}\u0000${m.user_id}`, this.fileId);
      this.counts.members++;
    }
    for (const m of b.messages) this.message(m);
    for (const r of b.reactions) this.reaction(r);
    for (const r of b.reads) {
      s.readUpsert.run(this.channelRef(r.cid), this.userRef(r.user_id), r.last_read, r.unread_messages, r.last_read_message_id, r.raw, this.fileId);
      this.counts.reads++;
    }
    for (const o of b.others) {
      s.other.run(this.fileId, o.line, o.kind, o.raw);
      this.counts.others++;
    }
    for (const r of b.rejects) {
      s.reject.run(this.fileId, r.line, r.offset, r.reason, r.excerpt);
      this.counts.rejected++;
    }
  }

  private reaction(r: ReactionRec) {
    const upk = this.userRef(r.user_id);
    const has = r.raw_off >= 0;
    if (this.staged) {
      // Staged several rows per statement, like bulk-loaded messages (≈ 3 µs a row one by one).
      const a = this.reactArgs;
      a.push(r.message_id, upk, r.type, r.score, r.created_at, r.updated_at, has ? this.fileId : 0, has ? r.raw_off : -1, has ? r.raw_len : -1,
        r.raw ?? 0);
      if (a.length === 10 * APPEND_ROWS) {
        this.staged.reactions.run(...a);
        a.length = 0;
      }
    } else {
      this.s.reactUpsert.run(r.message_id, upk, r.type, r.score, r.created_at, r.updated_at, has ? this.fileId : null, has ? r.raw_off : null,
        has ? r.raw_len : null, r.raw);
    }
    this.counts.reactions++;
  }

  private attachments(rowid: number, m: MessageRec, replace: boolean) {
    if (replace) this.s.attDel.run(rowid);
    if (!m.attachments) return;
    const staged = this.staged;
    m.attachments.forEach((a, i) => {
      if (staged) {
        // Staged several rows per statement, like messages and reactions.
        const args = this.attArgs;
        args.push(rowid, i, a.type, a.title, a.url, a.mime_type, a.file_size);
        if (args.length === ATT_PARAMS * APPEND_ROWS) {
          staged.attachments.run(...args);
          args.length = 0;
        }
      } else this.s.attIns.run(rowid, i, a.type, a.title, a.url, a.mime_type, a.file_size);
      this.counts.attachments++;
    });
  }

  /** Ends a bulk load, if one is running: rebuilds the message indexes, places deferred messages. */
  finish() {
    if (!this.bulk) return;
    this.bulk = false;
    this.flushAppends();
    const t0 = performance.now();
    // The sorter holds up to a page cache's worth of keys in memory before spilling to a
    // temporary file: build with a small one (peak RSS), then restore.
    const cache = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma('cache_size = -4096');
    ensureMessageIndexes(this.db, (name, ms) => { this.bulkStats.build_ms[name] = ms; });
    const tr = performance.now();
    this.flushStaged(true); // sorts the staged reactions: with the small cache too
    this.bulkStats.build_ms.reactions = Math.round(performance.now() - tr);
    this.db.pragma(`cache_size = ${cache}`);
    this.staged = null;
    this.bulkStats.index_ms = Math.round(performance.now() - t0);
    const held = this.deferred;
    this.deferred = [];
    this.tkeyBloom = null;
    for (const m of held) this.place(m);
  }

  /**
   * Called before every commit: appends pending message rows and moves staged attachments into
   * their table, sorted (what is committed must be complete: temporary tables die with a killed
   * process). Staged reactions move only when the bulk load ends (`final`): moved at every
   * commit they were sorted into an ever larger B-tree keyed by random message ids (≈ 1.2 s at
   * 1M messages; once at the end, ≈ 0.3 s). A bulk load killed meanwhile leaves committed
   * messages without their reactions, in a file still marked 'importing': importing it again
   * writes them, because a known message's embedded reactions are always written again.
   */
  flushStaged(final = false) {
    this.flushAppends();
    if (!this.staged) return;
    this.db.exec(`INSERT INTO attachments SELECT * FROM bulk_attachments WHERE true ORDER BY message_rowid, idx
                    ON CONFLICT (message_rowid, idx) DO NOTHING;
                  DELETE FROM bulk_attachments;`);
    if (!final) return;
    this.db.exec(`INSERT INTO reactions (message_id, user_pk, type, score, created_at, updated_at, file_id, raw_off, raw_len, raw)
                    SELECT * FROM bulk_reactions WHERE true ORDER BY message_id, user_pk, type, rowid
                    ON CONFLICT (message_id, user_pk, type) DO UPDATE SET score=excluded.score, updated_at=excluded.updated_at,
                      file_id=excluded.file_id, raw_off=excluded.raw_off, raw_len=excluded.raw_len, raw=excluded.raw
                    WHERE excluded.updated_at IS NOT NULL AND (reactions.updated_at IS NULL OR excluded.updated_at > reactions.updated_at);
                  DELETE FROM bulk_reactions;`);
  }

  get bulkLoading() {
    return this.bulk;
  }

  bulkInfo() {
    return JSON.stringify(this.bulkStats);
  }

  private message(m: MessageRec) {
    this.counts.messages++;
    if (this.bulk) {
      const h = idHash(m.id);
      const tk = mixKey(m.created_us * 2);
      if (this.bloom.mayHave(h) || this.tkeyBloom!.mayHave(tk)) {
        this.deferred.push(m);
        this.bulkStats.deferred++;
        if (this.deferred.length >= MAX_DEFERRED) this.finish();
        return;
      }
      this.bloom.add(h);
      this.tkeyBloom!.add(tk);
      this.insert(m, h, m.created_us * 2, true);
      return;
    }
    this.place(m);
  }

  private flushAppends() {
    for (let nulls = 0; nulls < this.appends.length; nulls++) {
      const g = this.appends[nulls];
      const a = g.args;
      if (!a.length) continue;
      g.one ??= this.appendSql(nulls, 1);
      for (let i = 0; i < a.length; i += g.params) g.one.run(a.slice(i, i + g.params));
      a.length = 0;
    }
    const r = this.reactArgs;
    if (this.staged) for (let i = 0; i < r.length; i += 10) this.staged.reaction.run(r.slice(i, i + 10));
    r.length = 0;
    const t = this.attArgs;
    if (this.staged) for (let i = 0; i < t.length; i += ATT_PARAMS) this.staged.attachment.run(t.slice(i, i + ATT_PARAMS));
    t.length = 0;
  }

  private insert(m: MessageRec, h: number, rowid: number, blind = false): boolean {
    const cpk = this.channelRef(m.cid);
    const upk = m.user_id ? this.userRef(m.user_id) : null;
    // meta (FTS filter tokens, meta-tokens.ts) is derived by the indexer: the column stays empty.
    if (blind && m.raw === null) {
      // Proven new (bulk load, no indexes to conflict with): appended several rows per statement.
      const nulls = (m.parent_id === null ? NULL_PARENT : 0) | (m.att_text === null ? NULL_ATT : 0)
        | (m.updated_at === null ? NULL_UPDATED : 0) | (m.deleted_at === null ? NULL_DELETED : 0);
      const g = this.appends[nulls];
      const a = g.args;
      a.push(rowid, h, m.id, cpk, upk);
      if (m.parent_id !== null) a.push(m.parent_id);
      a.push(m.type, m.text);
      if (m.att_text !== null) a.push(m.att_text);
      a.push(m.created_at);
      if (m.updated_at !== null) a.push(m.updated_at);
      if (m.deleted_at !== null) a.push(m.deleted_at);
      a.push(m.flags, m.reply_count, m.show_in_channel, m.hash, m.raw_off, m.raw_len);
      if (a.length === g.params * APPEND_ROWS) {
        g.many ??= this.appendSql(nulls, APPEND_ROWS);
        g.many.run(...a); // spread: better-sqlite3 reads arguments faster than array elements
        a.length = 0;
      }
    } else {
      const r = this.s.msgIns.run(rowid, h, m.id, cpk, upk, m.parent_id, m.type, m.text, m.att_text, '',
        m.created_at, m.updated_at, m.deleted_at, m.flags, m.reply_count, m.show_in_channel, m.hash, this.fileId, m.raw_off, m.raw_len, m.raw);
      if (r.changes !== 1) return false;
    }
    this.counts.new_messages++;
    this.attachments(rowid, m, false);
    if (m.reactions) for (const x of m.reactions) this.reaction(x);
    return true;
  }

  private place(m: MessageRec) {
    const s = this.s;
    // Time-ordered key: µs × 2; a collision (same µs) takes the next free slot.
    const h = idHash(m.id);
    if (this.bloom.mayHave(h) && s.msgGet.get(h, m.id)) {
      this.existing(m, h);
      return;
    }
    this.bloom.add(h);
    let rowid = m.created_us * 2;
    for (let attempt = 0; ; attempt++) {
      if (this.insert(m, h, rowid)) return;
      rowid++; // another message holds this instant
      if (attempt > 1_000_000) throw new Error(`cannot place message ${m.id}`);
    }
  }

  /** Asks the indexer to re-index a message whose searchable content changed. */
  private reindex(tkey: number) {
    this.s.ftsUpdate.run(tkey);
  }

  private existing(m: MessageRec, h: number) {
    const s = this.s;
    const cur = s.msgGet.get(h, m.id) as {
      rowid: number; channel_pk: number; user_pk: number | null; type: string; text: string; att_text: string | null;
      updated_at: string | null; deleted_at: string | null; flags: number; content_hash: number; versions: number;
      file_id: number; raw_off: number; raw_len: number; raw: string | null;
    };
    if (cur.file_id !== this.fileId) s.sighting.run(cur.rowid, this.fileId);
    if (m.reactions) for (const x of m.reactions) this.reaction(x);
    if (cur.content_hash === m.hash) {
      s.msgMinor.run(m.reply_count, cur.rowid);
      return;
    }
    // A different content version of a known message: keep every distinct version.
    if (s.verHas.get(cur.rowid, m.hash)) return; // this older/newer version is already recorded
    let versions = cur.versions;
    if ((s.verMax.get(cur.rowid) as { v: number }).v === 0) {
      s.verIns.run(cur.rowid, 1, cur.content_hash, cur.type, cur.text, cur.updated_at, cur.deleted_at, cur.file_id, cur.raw_off, cur.raw_len, cur.raw);
    }
    versions++;
    s.verIns.run(cur.rowid, versions, m.hash, m.type, m.text, m.updated_at, m.deleted_at, this.fileId, m.raw_off, m.raw_len, m.raw);
    this.counts.new_versions++;
    const incomingNewer = !cur.updated_at || !m.updated_at || m.updated_at >= cur.updated_at;
    if (incomingNewer) {
      // messages.file_id moves to this file (it holds the newest version): keep the old file as a sighting.
      if (cur.file_id !== this.fileId) s.sighting.run(cur.rowid, cur.file_id);
      s.msgUpd.run(m.type, m.text, m.att_text, m.updated_at, m.deleted_at, m.flags | FLAG.edited, m.reply_count, m.hash, versions,
        this.fileId, m.raw_off, m.raw_len, m.raw, cur.rowid);
      this.reindex(cur.rowid);
      this.attachments(cur.rowid, m, true);
    } else {
      const meta = metaTokens(cur.user_pk, cur.channel_pk, cur.flags | FLAG.edited, versions);
      s.msgVersions.run(versions, cur.rowid);
      if (meta !== metaTokens(cur.user_pk, cur.channel_pk, cur.flags, cur.versions)) this.reindex(cur.rowid);
    }
  }
}

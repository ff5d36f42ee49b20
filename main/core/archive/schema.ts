import type Database from 'better-sqlite3';
import type { Migration } from '../db/migrate.ts';

/**
 * Archive schema. Design notes (see docs/archive.md):
 * - messages.tkey is derived from created_at (microseconds × 2, bumped on collision) and is the
 *   FTS rowid, so FTS rowid order is time order: newest-first and date filters are rowid
 *   walks/ranges in FTS5. The table itself is appended in import order (seq) — random inserts
 *   into a time-ordered gigabyte table would dominate import time.
 * - the full-text index lives in its own file, fts.db (fts-schema.ts), written by the indexer
 *   thread on another core while the importer writes this one; it is rebuildable from here.
 * - every table that refers to a message uses its tkey (named message_rowid for history).
 * - nothing in the evidence is lost: small entities keep their raw JSON; messages and reaction
 *   lines keep (file_id, raw_off, raw_len) into the immutable evidence copy of their file.
 * - message_versions holds every distinct version once a message has been seen with more than
 *   one content; messages always holds the latest.
 */
export const archiveMigrations: Migration[] = [
  {
    version: 1,
    name: 'archive core',
    up: (db) => {
      db.exec(`
        CREATE TABLE files (
          id INTEGER PRIMARY KEY,
          sha256 TEXT NOT NULL UNIQUE,
          path TEXT NOT NULL,
          size INTEGER NOT NULL,
          format TEXT,
          shape TEXT,
          gzip INTEGER NOT NULL DEFAULT 0,
          status TEXT NOT NULL CHECK (status IN ('importing','complete')),
          started_at TEXT NOT NULL,
          imported_at TEXT,
          lines INTEGER NOT NULL DEFAULT 0,
          messages INTEGER NOT NULL DEFAULT 0,
          new_messages INTEGER NOT NULL DEFAULT 0,
          new_versions INTEGER NOT NULL DEFAULT 0,
          channels INTEGER NOT NULL DEFAULT 0,
          users INTEGER NOT NULL DEFAULT 0,
          members INTEGER NOT NULL DEFAULT 0,
          reactions INTEGER NOT NULL DEFAULT 0,
          attachments INTEGER NOT NULL DEFAULT 0,
          reads INTEGER NOT NULL DEFAULT 0,
          rejected INTEGER NOT NULL DEFAULT 0,
          took_ms INTEGER NOT NULL DEFAULT 0,
          provenance TEXT,
          evidence_path TEXT
        );
        CREATE TABLE rejections (
          file_id INTEGER NOT NULL REFERENCES files(id),
          line INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          reason TEXT NOT NULL,
          excerpt TEXT,
          PRIMARY KEY (file_id, line)
        ) WITHOUT ROWID;

        CREATE TABLE users (
          pk INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          name TEXT,
          name_fold TEXT,
          role TEXT,
          deleted_at TEXT,
          updated_at TEXT,
          raw TEXT,
          file_id INTEGER
        );
        CREATE INDEX users_name ON users(name_fold);

        CREATE TABLE channels (
          pk INTEGER PRIMARY KEY,
          cid TEXT NOT NULL UNIQUE,
          type TEXT NOT NULL,
          id TEXT NOT NULL,
          name TEXT,
          name_fold TEXT,
          created_at TEXT,
          updated_at TEXT,
          deleted_at TEXT,
          truncated_at TEXT,
          member_count INTEGER,
          raw TEXT,
          file_id INTEGER
        );
        CREATE INDEX channels_name ON channels(name_fold);

        CREATE TABLE members (
          channel_pk INTEGER NOT NULL,
          user_pk INTEGER NOT NULL,
          role TEXT,
          channel_role TEXT,
          created_at TEXT,
          updated_at TEXT,
          deleted_at TEXT,
          raw TEXT,
          file_id INTEGER,
          PRIMARY KEY (channel_pk, user_pk)
        ) WITHOUT ROWID;

        CREATE TABLE messages (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          tkey INTEGER NOT NULL UNIQUE,
          id TEXT NOT NULL,
          id_hash INTEGER NOT NULL,
          channel_pk INTEGER NOT NULL,
          user_pk INTEGER,
          parent_id TEXT,
          type TEXT NOT NULL,
          text TEXT NOT NULL,
          att_text TEXT,
          meta TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT,
          deleted_at TEXT,
          flags INTEGER NOT NULL,
          reply_count INTEGER NOT NULL DEFAULT 0,
          show_in_channel INTEGER NOT NULL DEFAULT 0,
          content_hash INTEGER NOT NULL,
          versions INTEGER NOT NULL DEFAULT 1,
          file_id INTEGER NOT NULL,
          raw_off INTEGER NOT NULL,
          raw_len INTEGER NOT NULL,
          raw TEXT
        );
        -- Lookup by Stream id goes through a 52-bit hash: a far smaller (cache-resident) index than
        -- one over 36-character ids, which matters for random inserts at millions of messages.
        CREATE INDEX messages_id ON messages(id_hash);
        CREATE INDEX messages_channel ON messages(channel_pk, tkey);
        -- Per-file completeness checks; appended in order during an import (cheap).
        CREATE INDEX messages_file ON messages(file_id);
        CREATE INDEX messages_parent ON messages(parent_id, tkey) WHERE parent_id IS NOT NULL;
        -- Messages whose searchable content changed after they were indexed: the indexer
        -- re-indexes them (it owns fts.db; this queue is how the writer talks to it).
        CREATE TABLE fts_updates (id INTEGER PRIMARY KEY AUTOINCREMENT, tkey INTEGER NOT NULL);

        CREATE TABLE message_versions (
          message_rowid INTEGER NOT NULL,
          version INTEGER NOT NULL,
          content_hash INTEGER NOT NULL,
          type TEXT NOT NULL,
          text TEXT NOT NULL,
          updated_at TEXT,
          deleted_at TEXT,
          file_id INTEGER NOT NULL,
          raw_off INTEGER NOT NULL,
          raw_len INTEGER NOT NULL,
          raw TEXT,
          PRIMARY KEY (message_rowid, version)
        ) WITHOUT ROWID;

        -- Further files (beyond messages.file_id, the file of the newest version) that contained a message.
        CREATE TABLE message_sightings (
          message_rowid INTEGER NOT NULL,
          file_id INTEGER NOT NULL,
          PRIMARY KEY (message_rowid, file_id)
        ) WITHOUT ROWID;

        -- Keyed by Stream message id (not rowid) so reactions whose message is not (yet) in the
        -- archive — e.g. in a user export — are kept too.
        CREATE TABLE reactions (
          message_id TEXT NOT NULL,
          user_pk INTEGER NOT NULL,
          type TEXT NOT NULL,
          score INTEGER,
          created_at TEXT,
          updated_at TEXT,
          file_id INTEGER,
          raw_off INTEGER,
          raw_len INTEGER,
          raw TEXT,
          PRIMARY KEY (message_id, user_pk, type)
        ) WITHOUT ROWID;

        -- Entities we recognise as Stream data but do not model (e.g. calls): kept verbatim.
        CREATE TABLE other_entities (
          file_id INTEGER NOT NULL,
          line INTEGER NOT NULL,
          kind TEXT NOT NULL,
          raw TEXT NOT NULL,
          PRIMARY KEY (file_id, line)
        ) WITHOUT ROWID;

        CREATE TABLE attachments (
          message_rowid INTEGER NOT NULL,
          idx INTEGER NOT NULL,
          type TEXT,
          title TEXT,
          url TEXT,
          mime_type TEXT,
          file_size INTEGER,
          PRIMARY KEY (message_rowid, idx)
        ) WITHOUT ROWID;

        CREATE TABLE reads (
          channel_pk INTEGER NOT NULL,
          user_pk INTEGER NOT NULL,
          last_read TEXT,
          unread_messages INTEGER,
          last_read_message_id TEXT,
          raw TEXT,
          file_id INTEGER,
          PRIMARY KEY (channel_pk, user_pk)
        ) WITHOUT ROWID;

        -- Which files contained which channel/user/member (messages use message_sightings).
        CREATE TABLE entity_files (
          kind TEXT NOT NULL,
          pk TEXT NOT NULL,
          file_id INTEGER NOT NULL,
          PRIMARY KEY (kind, pk, file_id)
        ) WITHOUT ROWID;


      `);
    },
  },
  {
    version: 2,
    name: 'messages: time-key uniqueness as a named index (droppable for bulk loads)',
    up: (db) => {
      // SQLite cannot drop an inline UNIQUE constraint: rebuild the table (instant when empty).
      db.exec(`
        CREATE TABLE messages_v2 (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          tkey INTEGER NOT NULL,
          id TEXT NOT NULL,
          id_hash INTEGER NOT NULL,
          channel_pk INTEGER NOT NULL,
          user_pk INTEGER,
          parent_id TEXT,
          type TEXT NOT NULL,
          text TEXT NOT NULL,
          att_text TEXT,
          meta TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT,
          deleted_at TEXT,
          flags INTEGER NOT NULL,
          reply_count INTEGER NOT NULL DEFAULT 0,
          show_in_channel INTEGER NOT NULL DEFAULT 0,
          content_hash INTEGER NOT NULL,
          versions INTEGER NOT NULL DEFAULT 1,
          file_id INTEGER NOT NULL,
          raw_off INTEGER NOT NULL,
          raw_len INTEGER NOT NULL,
          raw TEXT
        );
        INSERT INTO messages_v2 SELECT seq, tkey, id, id_hash, channel_pk, user_pk, parent_id, type, text, att_text, meta, created_at,
          updated_at, deleted_at, flags, reply_count, show_in_channel, content_hash, versions, file_id, raw_off, raw_len, raw FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_v2 RENAME TO messages;
      `);
      for (const sql of Object.values(MESSAGE_INDEXES)) db.exec(sql);
    },
  },
];

/**
 * The secondary indexes of `messages`. A first import into an empty archive drops them, appends
 * every message, then builds them here in one sort each (SQLite's CREATE INDEX sorts in C): far
 * cheaper than millions of random B-tree inserts. Opening an archive calls this too, so an import
 * killed mid-load leaves an archive that repairs itself.
 */
export const MESSAGE_INDEXES: Record<string, string> = {
  messages_tkey: 'CREATE UNIQUE INDEX IF NOT EXISTS messages_tkey ON messages(tkey)',
  // Lookup by Stream id goes through a 52-bit hash: a far smaller (cache-resident) index than
  // one over 36-character ids.
  messages_id: 'CREATE INDEX IF NOT EXISTS messages_id ON messages(id_hash)',
  messages_channel: 'CREATE INDEX IF NOT EXISTS messages_channel ON messages(channel_pk, tkey)',
  // Per-file completeness checks.
  messages_file: 'CREATE INDEX IF NOT EXISTS messages_file ON messages(file_id)',
  messages_parent: 'CREATE INDEX IF NOT EXISTS messages_parent ON messages(parent_id, tkey) WHERE parent_id IS NOT NULL',
};

export function ensureMessageIndexes(db: Database.Database, onBuilt?: (name: string, ms: number) => void): string[] {
  const have = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().all() as string[]);
  const missing = Object.keys(MESSAGE_INDEXES).filter((n) => !have.has(n));
  for (const n of missing) {
    const t = performance.now();
    db.exec(MESSAGE_INDEXES[n]);
    onBuilt?.(n, Math.round(performance.now() - t));
  }
  return missing;
}

export function dropMessageIndexes(db: Database.Database) {
  for (const n of Object.keys(MESSAGE_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${n}`);
}

/** fts.db: the search index, owned by the indexer thread, attached read-only as `ftsdb` by readers. */
export const ftsMigrations: Migration[] = [
  {
    version: 1,
    name: 'fts index',
    up: (db) => {
      db.exec(`
        -- Contentless (texts live in archive.db) with deletes. meta holds filter tokens
        -- (fany c<channel> u<user> fatt freact freply fdel fedit fpin fsys) so filters intersect
        -- doclists inside FTS5 and totals stay exact and cheap.
        -- body = message text + attachment titles (one column, so the vocabulary gives exact
        -- per-term document counts).
        CREATE VIRTUAL TABLE messages_fts USING fts5(
          body, meta,
          content='', contentless_delete=1,
          tokenize='unicode61 remove_diacritics 2',
          prefix='3'
        );
        INSERT INTO messages_fts (messages_fts, rank) VALUES ('rank', 'bm25(1.0, 0.0)');
        CREATE VIRTUAL TABLE fts_vocab USING fts5vocab(messages_fts, 'col');
        -- Distinct indexed words, trigram-indexed, for substring (*part*) and CJK search.
        CREATE VIRTUAL TABLE terms_tri USING fts5(term, tokenize='trigram remove_diacritics 1', detail='none');
        CREATE TABLE terms_seen (term TEXT PRIMARY KEY) WITHOUT ROWID;
        -- How far the index has caught up with archive.db (messages.seq, fts_updates.id).
        CREATE TABLE indexer_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO indexer_state VALUES ('seq', 0), ('upd', 0);
        -- Precomputed exact answers for the broadest single-word and prefix queries (words in
        -- more than 5 % of messages): total, the top ranks by bm25 and the facets. Valid only for the index
        -- generation (seq:upd) they were computed at; the indexer recomputes them after changes.
        CREATE TABLE hot_queries (key TEXT PRIMARY KEY, gen TEXT NOT NULL, total INTEGER NOT NULL, top TEXT NOT NULL, facets TEXT) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    name: 'fts hash size',
    up: (db) => {
      // FTS5 writes a new segment whenever its in-memory hash exceeds 1 MB (the default): ≈ 300
      // segments at 1M messages, merged over and over. Holding a whole indexer batch (≈ 100k
      // messages) in the hash cuts indexing CPU by about a third. Stored in the index's config.
      db.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', ${32 * 1024 * 1024})`);
    },
  },
];

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../db/migrate.ts';
import { archiveMigrations } from './schema.ts';
import { flushPendingFts } from './search/pending.ts';

export type ArchiveDb = Database.Database;

/**
 * Opens the archive database with the settings every connection needs: WAL (readers never block
 * the importer, a killed process leaves a consistent file), NORMAL sync (durable at checkpoints,
 * safe in WAL), a bounded page cache (peak RSS budget), and the schema migrated.
 */
export function openArchiveDb(file: string, opts: { readonly?: boolean; cacheMb?: number } = {}): ArchiveDb {
  if (!opts.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: false, fileMustExist: !!opts.readonly });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma(`cache_size = -${(opts.cacheMb ?? 48) * 1024}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = OFF');
  if (!opts.readonly) {
    migrate(db, archiveMigrations);
    // An import killed before its end left messages not yet indexed: index them now.
    if (db.prepare('SELECT 1 FROM fts_pending LIMIT 1').get()) flushPendingFts(db);
  }
  if (opts.readonly) db.pragma('query_only = ON');
  return db;
}

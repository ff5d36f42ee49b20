import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../db/migrate.ts';
import { archiveMigrations, ensureMessageIndexes, ftsMigrations } from './schema.ts';

export type ArchiveDb = Database.Database;

/** fts.db sits next to archive.db. */
export const ftsPathFor = (archivePath: string) => path.join(path.dirname(archivePath), 'fts.db');

function tune(db: ArchiveDb, cacheMb: number) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma(`cache_size = -${cacheMb * 1024}`);
  db.pragma('temp_store = MEMORY');
  // A big import grows the WAL to hundreds of MB; once checkpointed, give the space back.
  db.pragma('journal_size_limit = 67108864');
}

/**
 * Opens archive.db with the settings every connection needs: WAL (readers never block the
 * importer, a killed process leaves a consistent file), NORMAL sync (durable at checkpoints, safe
 * in WAL), a bounded page cache (peak RSS budget), and both schemas migrated.
 *
 * `attachFts` attaches the search index (fts.db) as `ftsdb` for reading. The import connection
 * must not attach it: BEGIN IMMEDIATE would then also lock fts.db against the indexer.
 */
export function openArchiveDb(
  file: string, opts: { cacheMb?: number; attachFts?: boolean; ftsCacheMb?: number; mmap?: boolean } = {},
): ArchiveDb {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  tune(db, opts.cacheMb ?? 48);
  db.pragma('foreign_keys = OFF');
  migrate(db, archiveMigrations);
  repairIndexes(db);
  const fts = openFtsDb(ftsPathFor(file), 8);
  fts.close();
  if (opts.attachFts) {
    db.prepare('ATTACH DATABASE ? AS ftsdb').run(ftsPathFor(file));
    // cache_size is per schema: without this the index would get SQLite's 2 MB default.
    db.pragma(`ftsdb.cache_size = -${(opts.ftsCacheMb ?? 32) * 1024}`);
    // Readers map the files: a fresh connection (app start) reads pages straight from the OS
    // cache instead of warming its own page cache query by query.
    if (opts.mmap !== false) {
      db.pragma('mmap_size = 1073741824');
      db.pragma('ftsdb.mmap_size = 1073741824');
    }
  }
  return db;
}

/**
 * Rebuilds message indexes an import killed during a bulk load left dropped. Another process may
 * be bulk-loading right now (its transaction holds the write lock): then leave them to it.
 */
function repairIndexes(db: ArchiveDb) {
  try {
    ensureMessageIndexes(db);
  } catch (err) {
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
  }
}

/** The import thread's connection: archive.db only, already migrated by the archive's opener. */
export function openImportDb(file: string, cacheMb: number): ArchiveDb {
  const db = new Database(file, { fileMustExist: true });
  tune(db, cacheMb);
  db.pragma('foreign_keys = OFF');
  // Building the message indexes after a bulk load sorts millions of keys: let the sorter spill
  // to temporary files (OS cache) rather than grow the process by the size of the index.
  db.pragma('temp_store = FILE');
  // The temporary schema's page cache is not bounded by cache_size (which sets main's): reactions
  // staged for a whole bulk load (writer.ts) would otherwise sit in it (≈ 25 MB at 1M messages).
  db.pragma('temp.cache_size = -4096');
  return db;
}

/** Opens (creating and migrating) the search index database. */
export function openFtsDb(file: string, cacheMb = 32): ArchiveDb {
  const db = new Database(file);
  tune(db, cacheMb);
  migrate(db, ftsMigrations);
  return db;
}

/**
 * state.db: the small main-thread database (profiles, jobs, schedules, audit). Secrets are never
 * stored here (they live in the OS keychain, main/core/secrets).
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from '../db/migrate.ts';
import { dataPaths } from '../paths.ts';
import { stateMigrations } from './migrations.ts';

export { stateMigrations } from './migrations.ts';

export interface OpenStateDbOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY (default 5 s). */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** Opens (creating and migrating as needed) `<dataDir>/state.db`. */
export function openStateDb(dataDir: string, opts: OpenStateDbOptions = {}): Database.Database {
  // 0700: the folder holds a legal team's archive; other local users have no business in it.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = dataPaths(dataDir).stateDb;
  const db = new Database(file, { readonly: opts.readonly ?? false, timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    // The app, a CLI run and an OS-scheduled backup may have it open at once: WAL lets readers
    // run beside the single writer; busy_timeout makes writers queue instead of failing.
    db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (!opts.readonly) migrate(db, stateMigrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

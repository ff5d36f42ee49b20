import type Database from 'better-sqlite3';

/**
 * state.db migration 1. There is no secret column, on purpose: secrets live in the OS keychain
 * (account = profile id). `secret_saved_at` only records when the keychain last accepted one.
 */
export function createProfilesTable(db: Database.Database): void {
  db.exec(`
    CREATE TABLE profiles (
      id                TEXT PRIMARY KEY,
      name              TEXT NOT NULL,
      -- case-folded, NFKC-normalised name: names are unique ignoring case
      name_key          TEXT NOT NULL UNIQUE,
      api_key           TEXT NOT NULL,
      base_url          TEXT NOT NULL,
      kind              TEXT NOT NULL CHECK (kind IN ('stream', 'sandbox')),
      secret_saved_at   TEXT,
      created_at        TEXT NOT NULL,
      updated_at        TEXT NOT NULL,
      last_connected_at TEXT
    );
  `);
}

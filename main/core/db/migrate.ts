import type Database from 'better-sqlite3';

/** A numbered, forward-only schema step (Signal Desktop style). Never edit a landed migration. */
export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database) => void;
}

/**
 * Applies pending migrations in order, each in its own transaction, tracking progress in
 * `PRAGMA user_version`. Refuses a database written by a newer Archivist.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration numbering gap at ${m.name} (${m.version})`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = sorted.length;
  if (current > latest) {
    throw new Error(
      `This database was written by a newer Archivist (schema ${current}, this build knows ${latest}). Update Archivist to open it.`,
    );
  }
  for (const m of sorted.slice(current)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}

import type { ArchiveDb } from '../db.ts';

/**
 * Indexes messages waiting in fts_pending, in ascending tkey order (FTS5 rowid order), then
 * clears them — all in the caller's transaction or its own. Returns how many were indexed.
 */
export function flushPendingFts(db: ArchiveDb): number {
  const run = () => {
    const n = db.prepare(`INSERT INTO messages_fts (rowid, text, att_text, meta)
      SELECT m.tkey, m.text, m.att_text, m.meta FROM fts_pending p JOIN messages m ON m.tkey = p.tkey ORDER BY p.tkey`).run().changes;
    db.exec('DELETE FROM fts_pending');
    return n;
  };
  return db.inTransaction ? run() : db.transaction(run)();
}

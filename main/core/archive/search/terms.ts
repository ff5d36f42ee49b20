import type { ArchiveDb } from '../db.ts';

/**
 * Keeps a trigram index over the distinct indexed words (not over all text): substring and CJK
 * queries find matching words there, then run as ordinary FTS term queries. Costs a vocabulary
 * scan per import instead of tripling the main index.
 */
export function refreshTerms(db: ArchiveDb): number {
  return db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS temp.new_terms;
      CREATE TEMP TABLE new_terms AS
        SELECT DISTINCT v.term AS term FROM fts_vocab v
        WHERE v.col != 'meta' AND NOT EXISTS (SELECT 1 FROM terms_seen t WHERE t.term = v.term);`);
    db.exec('INSERT INTO terms_seen (term) SELECT term FROM temp.new_terms; INSERT INTO terms_tri (term) SELECT term FROM temp.new_terms;');
    const n = (db.prepare('SELECT count(*) n FROM temp.new_terms').get() as { n: number }).n;
    db.exec('DROP TABLE temp.new_terms');
    return n;
  })();
}

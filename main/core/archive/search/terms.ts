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
    return addNewTerms(db);
  })();
}

/**
 * The same for a few documents just indexed (their bodies): tokenizes them into a small
 * temporary index with the body's tokenizer and adds the words not seen before. A full refresh
 * scans the whole vocabulary (≈ 0.5 s at 1M messages) however few documents were added.
 */
export function addTermsOf(db: ArchiveDb, bodies: string[]): number {
  return db.transaction(() => {
    db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.batch_fts USING fts5(body, tokenize='${BODY_TOKENIZER}', detail='none');
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.batch_vocab USING fts5vocab(temp, batch_fts, 'row');
      DELETE FROM temp.batch_fts;`);
    const ins = db.prepare('INSERT INTO temp.batch_fts (body) VALUES (?)');
    for (const b of bodies) ins.run(b);
    db.exec(`DROP TABLE IF EXISTS temp.new_terms;
      CREATE TEMP TABLE new_terms AS
        SELECT v.term AS term FROM temp.batch_vocab v WHERE NOT EXISTS (SELECT 1 FROM terms_seen t WHERE t.term = v.term);
      DELETE FROM temp.batch_fts;`);
    return addNewTerms(db);
  })();
}

/** The body column's tokenizer (fts migration 1): word boundaries and folding must match. */
export const BODY_TOKENIZER = 'unicode61 remove_diacritics 2';

function addNewTerms(db: ArchiveDb): number {
  db.exec('INSERT INTO terms_seen (term) SELECT term FROM temp.new_terms; INSERT INTO terms_tri (term) SELECT term FROM temp.new_terms;');
  const n = (db.prepare('SELECT count(*) n FROM temp.new_terms').get() as { n: number }).n;
  db.exec('DROP TABLE temp.new_terms');
  return n;
}

/**
 * The indexer thread: owns fts.db (the search index) and keeps it caught up with archive.db,
 * on its own core while the importer writes. It indexes new messages in batches sorted by time
 * key (FTS5 merges are far cheaper for ascending rowids), then re-indexes messages whose content
 * changed (fts_updates). Its progress (messages.seq, fts_updates.id) is stored in fts.db in the
 * same transaction as the index writes, so a kill at any moment loses nothing: the next start
 * continues from there. Deleting fts.db rebuilds the index from scratch.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { openArchiveDb, openFtsDb } from './db.ts';
import { SearchEngine } from './search/search.ts';
import { addTermsOf, refreshTerms } from './search/terms.ts';
import { hotKey, hotMatch } from './search/compile.ts';
import { BODY_SQL, META_TOKENS_SQL, metaTokens } from './meta-tokens.ts';
import { mark } from './import/timeline.ts';

const { dbPath, ftsPath } = workerData as { dbPath: string; ftsPath: string };
const fts = openFtsDb(ftsPath, 12);
const src = new Database(dbPath, { readonly: true, fileMustExist: true });
src.pragma('busy_timeout = 10000');
src.pragma('cache_size = -8192');
// Each batch is sorted by time key inside SQLite (in memory: a batch's rows never sit in JS),
// copied into a temporary table of the index's connection first: the read of archive.db (attached
// read-only) then lasts a fraction of a second instead of the whole batch's indexing — a long read
// would keep the import's checkpoints from completing, and the WAL from restarting
// (import-worker.ts). The index rows are then derived and inserted by one statement, inside SQLite.
fts.prepare('ATTACH DATABASE ? AS src').run(dbPath); // only ever read: this connection's transactions write fts.db alone
fts.pragma('src.cache_size = -2048');
fts.pragma('temp_store = MEMORY');
// An in-memory temporary database keeps deleted pages; auto-vacuum gives them back after each batch.
fts.pragma('temp.auto_vacuum = FULL');
fts.exec(`CREATE TEMP TABLE batch (tkey INTEGER, text TEXT, att_text TEXT, channel_pk INTEGER, user_pk INTEGER, flags INTEGER, versions INTEGER)`);
const port = parentPort!;
// A reader over both files, for precomputing facets of the broadest queries.
const both = openArchiveDb(dbPath, { cacheMb: 8, attachFts: true, ftsCacheMb: 8, mmap: false });
const facetEngine = new SearchEngine(both);
// Larger sorted batches mean fewer, larger FTS5 segments and far less merging (the FTS5 hash
// holds a whole batch: see the fts migration setting hashsize). An import commits 100k at a time.
// ARCHIVIST_INDEX_BATCH: tests make batches small to index in several.
const BATCH = Number(process.env.ARCHIVIST_INDEX_BATCH) || 100_000;

const s = {
  state: fts.prepare('SELECT v FROM indexer_state WHERE k = ?').pluck(),
  setState: fts.prepare('UPDATE indexer_state SET v = ? WHERE k = ?'),
  ins: fts.prepare('INSERT INTO messages_fts (rowid, body, meta) VALUES (?,?,?)'),
  del: fts.prepare('DELETE FROM messages_fts WHERE rowid = ?'),
  loadBatch: fts.prepare(`INSERT INTO temp.batch SELECT tkey, text, att_text, channel_pk, user_pk, flags, versions FROM src.messages
                          WHERE seq > ? AND seq <= ? ORDER BY tkey`),
  indexBatch: fts.prepare(`INSERT INTO messages_fts (rowid, body, meta) SELECT tkey, ${BODY_SQL}, ${META_TOKENS_SQL}
                           FROM temp.batch ORDER BY rowid`),
  batchBodies: fts.prepare(`SELECT ${BODY_SQL} FROM temp.batch`).pluck(),
  clearBatch: fts.prepare('DELETE FROM temp.batch'),
  updates: src.prepare('SELECT id, tkey FROM fts_updates WHERE id > ? ORDER BY id LIMIT ?'),
  current: src.prepare('SELECT seq, text, att_text, channel_pk, user_pk, flags, versions FROM messages WHERE tkey = ?'),
  maxSeq: src.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)").pluck(),
};
// 'terms' = 1 while the substring vocabulary (terms.ts) covers everything indexed.
fts.prepare("INSERT OR IGNORE INTO indexer_state VALUES ('terms', 0)").run();

type Row = {
  seq: number; tkey: number; text: string; att_text: string | null; channel_pk: number; user_pk: number | null; flags: number; versions: number;
};
const bodyOf = (r: Row) => (r.att_text ? `${r.text}\n${r.att_text}` : r.text);
// Filter tokens are derived here, on the indexer's core, not stored by the importer.
const metaOf = (r: Row) => metaTokens(r.user_pk, r.channel_pk, r.flags, r.versions);

/** One bounded step; returns how much work it did. */
function step(): number {
  const seq = s.state.get('seq') as number;
  // Every seq up to the committed maximum is committed (one writer at a time), so the range
  // (seq, last] read afterwards is complete.
  const last = Math.min(seq + BATCH, s.maxSeq.get() as number);
  if (last > seq) {
    let n = 0;
    s.clearBatch.run(); // a failed step may have left its rows
    s.loadBatch.run(seq, last);
    fts.transaction(() => {
      n = s.indexBatch.run().changes;
      // Small batches: their words go into the substring vocabulary directly (see noteTerms).
      if (termsBodies && termsBodies.length + n <= TERMS_FROM_BODIES) for (const b of s.batchBodies.iterate() as IterableIterator<string>) noteTerms(b);
      else termsBodies = null;
      s.setState.run(last, 'seq');
      s.setState.run(0, 'terms');
    })();
    s.clearBatch.run();
    mark(`indexed ${n} (to seq ${last})`);
    return Math.max(n, 1);
  }
  const upd = s.state.get('upd') as number;
  const ups = s.updates.all(upd, 10_000) as { id: number; tkey: number }[];
  if (!ups.length) return 0;
  fts.transaction(() => {
    for (const u of ups) {
      const cur = s.current.get(u.tkey) as Row | undefined;
      if (!cur || cur.seq > seq) continue; // not indexed yet: the new-rows step indexes its latest text
      s.del.run(u.tkey);
      const body = bodyOf(cur);
      s.ins.run(u.tkey, body, metaOf(cur));
      noteTerms(body);
    }
    s.setState.run(ups[ups.length - 1].id, 'upd');
    s.setState.run(0, 'terms');
  })();
  return ups.length;
}

/**
 * Bodies indexed since the substring vocabulary was last brought up to date, while they are few
 * (their words are then added from a small temporary index); null when there were more, or when
 * a previous run stopped before bringing it up to date (then the whole vocabulary is scanned).
 */
const TERMS_FROM_BODIES = 20_000;
let termsBodies: string[] | null = s.state.get('terms') === 1 ? [] : null;
let termsDirty = termsBodies === null;
function noteTerms(body: string) {
  if (termsBodies && termsBodies.length < TERMS_FROM_BODIES) termsBodies.push(body);
  else termsBodies = null;
}
function updateTerms() {
  if (termsBodies) addTermsOf(fts, termsBodies);
  else refreshTerms(fts);
  termsBodies = [];
  s.setState.run(1, 'terms');
  termsDirty = false;
}

let running = false;
let hotDirty = true;
let again = false;
const waiters: { seq: number; resolve: () => void }[] = [];

/** Catches up completely, then refreshes the substring vocabulary and tells the client. */
function run() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  let changed = false;
  try {
    do {
      again = false;
      let did = 0;
      for (let n = step(); n > 0; n = step()) did += n;
      if (did > 0) termsDirty = changed = true;
      // The substring vocabulary scans the whole index: refreshed once an import is done, has
      // read its whole file (its last commits then bring few documents: see termsBodies) or a
      // caller waits for the index — not after every commit of a running import.
      if (termsDirty && (importing === 0 || importTail || waiters.length > 0)) updateTerms();
      if (did > 0) port.postMessage({ event: 'indexed', seq: s.state.get('seq') });
    } while (again);
    // Only a changed index makes the precomputed answers stale. (This ran every second and set it
    // unconditionally: each time the hot list was rebuilt from two full vocabulary scans, which
    // left the precomputation minutes behind at 1M.)
    if (changed) hotDirty = true;
  } catch (err) {
    port.postMessage({ event: 'error', message: (err as Error).message });
  } finally {
    running = false;
  }
  const seq = s.state.get('seq') as number;
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i].seq <= seq) waiters.splice(i, 1)[0].resolve();
  }
}

/** Imports in progress (the archive says when one starts and ends). */
let importing = 0;
/** The running import has read its whole file: what is left (index build, last commits) is short. */
let importTail = false;

port.on('message', (m: { id?: number; op: string }) => {
  if (m.op === 'kick') setImmediate(run);
  else if (m.op === 'importStart') importing++;
  else if (m.op === 'importTail') {
    importTail = true;
    setImmediate(run);
  } else if (m.op === 'importEnd') {
    importing = Math.max(0, importing - 1);
    importTail = false;
    setImmediate(run);
  }
  else if (m.op === 'catchUp') {
    // Wait until everything committed in archive.db so far is searchable.
    const target = s.maxSeq.get() as number;
    new Promise<void>((resolve) => waiters.push({ seq: target, resolve })).then(() => port.postMessage({ id: m.id, ok: true, result: true }));
    setImmediate(run);
  } else if (m.op === 'idle') {
    // Resolves once the index and the precomputed broad answers are all current.
    const check = () => {
      if (!running && !hotDirty && hotQueue.length === 0 && (s.maxSeq.get() as number) <= (s.state.get('seq') as number)) {
        port.postMessage({ id: m.id, ok: true, result: true });
      } else setTimeout(check, 50);
    };
    setImmediate(run);
    check();
  } else if (m.op === 'close') {
    both.close();
    fts.close();
    src.close();
    port.postMessage({ id: m.id, ok: true, result: true });
  }
});
setInterval(run, 1000).unref();

/**
 * Precomputes exact answers (total + top ranks) for the broadest single-word and prefix queries,
 * one query per timer tick so new imports are never held up; stale entries are simply ignored by
 * readers (they check the generation). bm25 over hundreds of thousands of hits costs seconds;
 * done once per index change here, a search for "the" is then a lookup.
 */
// Ranks down to 1 % of messages: bm25 over every hit costs ≈ 1.3 µs each, so a word or prefix in
// 2–4 % took 25–50 ms live at 1M; below 1 % it stays under ≈ 15 ms (≈ 360 entries at 1M, not 46).
// Facets only from 5 %: they join every hit to its message (≈ 1 s for 45k hits), which made the
// whole precomputation take minutes; below 5 % they are computed when asked for.
const HOT_SHARE = 0.01;
const HOT_FACET_SHARE = 0.05;
const HOT_TOP = 500;
let hotQueue: string[] = [];
let facetMin = Infinity;
const gen = () => `${s.state.get('seq')}:${s.state.get('upd')}`;
function hotStep() {
  // Never while an import is writing: the answers would be stale at its next commit, and the
  // core is better spent indexing.
  if (running || importing > 0) return;
  if (hotDirty) {
    hotDirty = false;
    const n = (fts.prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'meta : fany'").pluck().get() as number) || 0;
    const min = Math.max(1000, Math.floor(n * HOT_SHARE));
    facetMin = Math.max(1000, Math.floor(n * HOT_FACET_SHARE));
    const words = fts.prepare(`SELECT term FROM fts_vocab WHERE col = 'body' AND doc > ? ORDER BY doc DESC`).pluck().all(min) as string[];
    const prefixes = fts.prepare(
      `SELECT substr(term, 1, ?) AS p FROM fts_vocab WHERE col = 'body' AND length(term) >= ? GROUP BY p HAVING sum(doc) > ? ORDER BY sum(doc) DESC`,
    );
    const pre = [3, 4].flatMap((len) => prefixes.pluck().all(len, len, min) as string[]);
    const g = gen();
    const fresh = new Set((fts.prepare('SELECT key FROM hot_queries WHERE gen = ?').pluck().all(g) as string[]));
    hotQueue = [...words.map((w) => hotKey('w', w)), ...pre.map((p) => hotKey('p', p))].filter((k) => !fresh.has(k));
    fts.prepare(`DELETE FROM hot_queries WHERE gen != ?`).run(g);
  }
  const key = hotQueue.shift();
  if (!key) return;
  const g = gen();
  const match = hotMatch(key);
  const total = fts.prepare('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?').pluck().get(match) as number;
  const top = fts.prepare('SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank, rowid DESC LIMIT ?').raw().all(match, HOT_TOP);
  const facets = total > facetMin ? facetEngine.facets(facetEngine.compile(key.startsWith('p:') ? `${key.slice(2)}*` : key.slice(2))) : null;
  if (gen() !== g) return; // the index moved on meanwhile: recompute later
  fts.prepare('INSERT OR REPLACE INTO hot_queries (key, gen, total, top, facets) VALUES (?,?,?,?,?)')
    .run(key, g, total, JSON.stringify(top), facets && JSON.stringify(facets));
}
setInterval(hotStep, 50).unref();
setImmediate(run);
port.postMessage({ ready: true });

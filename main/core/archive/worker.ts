/**
 * The archive worker: owns one connection to archive.db and answers typed requests
 * (Signal Desktop's MainSQL pattern). better-sqlite3 is synchronous, so all of it lives here, off
 * the main thread. Worker 0 also imports; the others only read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openArchiveDb } from './db.ts';
import { importFile } from './import/import-file.ts';
import { Reader } from './read.ts';
import { SearchEngine } from './search/search.ts';
import type { Compiled } from './search/compile.ts';
import type { ImportSummary } from './types.ts';

const { dbPath, cacheMb, evidenceDir, writer } = workerData as { dbPath: string; cacheMb?: number; evidenceDir: string; writer?: boolean };
// Reads go through a connection with the search index (fts.db) attached; imports through one
// without it, so an import transaction never locks the index the indexer thread is writing.
const db = openArchiveDb(dbPath, { cacheMb, attachFts: true });
const importDb = writer ? openArchiveDb(dbPath, { cacheMb: 16 }) : null;
const engine = new SearchEngine(db);
const reader = new Reader(db);
const port = parentPort!;

type Req = { id: number; op: string; args: any };

// Imports share one writer connection: they run one after another, never interleaved.
let importChain: Promise<unknown> = Promise.resolve();

const ops: Record<string, (args: any, id: number) => unknown> = {
  import(args: { paths: string[]; provenance?: Record<string, unknown>; sha256?: string }, id) {
    const run = importChain.then(() => importNow(args, id));
    importChain = run.catch(() => undefined);
    return run;
  },

  search: (args: { req: any; splitAbove?: number }) => {
    const req = args.req;
    if (args.splitAbove !== undefined && (req.sort ?? 'relevance') === 'relevance') {
      const c = engine.compile(req.query);
      if (c.textless) return { result: engine.search(req) };
      const offset = req.cursor ? engine.offsetOf(req.cursor) : 0;
      const hot = engine.hot(c);
      if (hot && offset + (req.limit ?? 50) <= hot.top.length) return { result: engine.search(req) };
      const total = engine.count(c);
      if (total > args.splitAbove) return { split: true, compiled: c, total };
    }
    return { result: engine.search(req) };
  },
  rankRange: (a: { compiled: Compiled; lo: number; hi: number; k: number }) => engine.rankRange(a.compiled, a.lo, a.hi, a.k),
  hydrate: (a: { rowids: number[]; compiled: Compiled }) => engine.hydrate(a.rowids, a.compiled),
  facets: (a: { query: string }) => engine.facets(engine.compile(a.query)),
  rowidBounds: () => db.prepare('SELECT min(tkey) AS lo, max(tkey) AS hi FROM messages').get(),
  maxSeq: () => db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0) AS n").pluck().get(),
  invalidate: () => engine.invalidate(),
  // After an import: fold the WAL (hundreds of MB after a big one) into archive.db and shrink it.
  checkpoint: () => (importDb ?? db).pragma('wal_checkpoint(TRUNCATE)'),
  context: (a) => reader.context(a),
  channelPage: (a) => reader.channelPage(a),
  thread: (a: { message_id: string }) => reader.thread(a.message_id),
  versions: (a: { message_id: string }) => reader.versions(a.message_id),
  raw: (a: { message_id: string }) => reader.raw(a.message_id),
  channels: (a) => reader.channels(a ?? {}),
  users: (a) => reader.users(a ?? {}),
  evidence: () => reader.evidence(),
  fileMessageCounts: (a: { sha256: string }) => reader.fileMessageCounts(a.sha256),
  stats: () => reader.stats(dbPath),
  close: () => {
    importDb?.close();
    db.close();
    return true;
  },
};

async function importNow(args: { paths: string[]; provenance?: Record<string, unknown>; sha256?: string }, id: number) {
  const summary: ImportSummary = { files: [], refused: [], rejected: [] };
  for (const p of args.paths) {
    if (!importDb) throw new Error('this archive connection does not import');
    const r = await importFile(importDb, p, {
      dbPath,
      evidenceDir,
      onCommitted: () => port.postMessage({ id, event: 'committed' }),
      onParsed: () => port.postMessage({ id, event: 'parsed' }),
      provenance: args.provenance,
      sha256: args.paths.length === 1 ? args.sha256 : undefined,
      onProgress: (progress) => port.postMessage({ id, event: 'progress', data: progress }),
    });
    if (r.file) summary.files.push(r.file);
    if (r.refused) summary.refused.push(r.refused);
    summary.rejected.push(...r.rejected);
  }
  engine.invalidate();
  return summary;
}

port.on('message', async (m: Req) => {
  try {
    const fn = ops[m.op];
    if (!fn) throw Object.assign(new Error(`unknown archive operation ${m.op}`), { code: 'bad_request' });
    const result = await fn(m.args, m.id);
    port.postMessage({ id: m.id, ok: true, result });
  } catch (err) {
    const e = err as Error & { code?: string };
    const code = e.name === 'QuerySyntaxError' ? 'bad_query' : (e.code ?? 'internal');
    port.postMessage({ id: m.id, ok: false, error: { code: typeof code === 'string' ? code : 'internal', message: e.message, position: (e as any).position } });
  }
});
port.postMessage({ ready: true });
// Warm the search path (statements, FTS structure pages, JIT) so a user's first query does not
// pay for it; cheap: a phrase of two rare tokens.
setImmediate(() => {
  try {
    engine.search({ query: '"archivist warmup"', limit: 1, facets: false });
    engine.invalidate();
  } catch {
    /* an empty or missing index is fine */
  }
});

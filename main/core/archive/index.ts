import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { dataPaths } from '../paths.ts';
import { ftsPathFor } from './db.ts';
import type { Compiled } from './search/compile.ts';
import type { RankedRow } from './search/search.ts';
import { mark } from './import/timeline.ts';
import { limitMallocArenas } from './import/line-scan.ts';
import type {
  ArchiveStats, ChannelPage, ChannelPageRequest, ChannelSummary, ContextRequest, ContextResult, EvidenceFileView,
  ImportProgress, ImportSummary, MessageVersionView, SearchFacets, SearchRequest, SearchResult, ThreadResult,
} from './types.ts';

export * from './types.ts';

/** An error from the archive, carried as data: `code` is stable, `message` is for people. */
export class ArchiveError extends Error {
  readonly code: string;
  readonly position?: number;
  constructor(code: string, message: string, position?: number) {
    super(message);
    this.code = code;
    this.position = position;
  }
}

export interface ImportCallOptions {
  onProgress?: (p: ImportProgress) => void;
  provenance?: Record<string, unknown>;
  /** Known SHA-256 of a single file (evidence store) to skip hashing it again. */
  sha256?: string;
}

export interface Archive {
  importFiles(paths: string[], opts?: ImportCallOptions): Promise<ImportSummary>;
  search(req: SearchRequest): Promise<SearchResult>;
  facets(query: string): Promise<SearchFacets>;
  context(req: ContextRequest): Promise<ContextResult>;
  channelPage(req: ChannelPageRequest): Promise<ChannelPage>;
  thread(messageId: string): Promise<ThreadResult>;
  versions(messageId: string): Promise<MessageVersionView[]>;
  /** The message's original JSON from its evidence file. */
  raw(messageId: string): Promise<{ json: string; sha256: string; offset: number; length: number }>;
  channels(opts?: { query?: string; limit?: number; offset?: number }): Promise<ChannelSummary[]>;
  users(opts?: { query?: string; limit?: number }): Promise<{ id: string; name: string | null; role: string | null }[]>;
  evidence(): Promise<EvidenceFileView[]>;
  /** Messages one imported file held, per channel and per user (null: not fully imported). */
  fileMessageCounts(sha256: string): Promise<{ channels: Record<string, number>; users: Record<string, number> } | null>;
  stats(): Promise<ArchiveStats>;
  /** Resolves when background indexing (including precomputed broad answers) is done. */
  whenIndexed(): Promise<void>;
  /** Forgets cached result totals (benchmarks measure cold queries with it). */
  dropCaches(): Promise<void>;
  close(): Promise<void>;
}

// Worker entry points sit next to this module (.ts when run from source, .js when built).
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const workerUrl = new URL(`./worker${ext}`, import.meta.url);
const indexerUrl = new URL(`./indexer${ext}`, import.meta.url);

class Conn {
  private w: Worker;
  private next = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; onEvent?: (d: any) => void }>();
  busy = 0;
  ready: Promise<void>;
  /** Events not tied to a request (the indexer's "indexed"). */
  onEvent?: (m: any) => void;

  constructor(url: URL, workerData: Record<string, unknown>) {
    this.w = new Worker(url, { workerData, resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 } });
    this.ready = new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new ArchiveError('open_failed', `The archive could not be opened: ${err.message}`));
      this.w.once('error', onError);
      this.w.on('message', (m: any) => {
        if (m.ready) {
          this.w.off('error', onError);
          this.w.on('error', (err) => this.failAll(err));
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (m.event) {
          if (m.id === undefined) this.onEvent?.(m);
          else p?.onEvent?.(m);
          return;
        }
        if (!p) return;
        this.pending.delete(m.id);
        this.busy--;
        if (m.ok) p.resolve(m.result);
        else p.reject(new ArchiveError(m.error.code, m.error.message, m.error.position));
      });
    });
    this.w.on('exit', (code) => this.failAll(new Error(`archive worker exited (${code})`)));
  }

  private failAll(err: Error) {
    for (const p of this.pending.values()) p.reject(new ArchiveError('worker_failed', err.message));
    this.pending.clear();
  }

  call<T>(op: string, args?: unknown, onEvent?: (d: any) => void): Promise<T> {
    const id = this.next++;
    this.busy++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.w.postMessage({ id, op, args });
    });
  }

  /** Fire-and-forget message (no reply expected). */
  post(op: string) {
    this.w.postMessage({ op });
  }

  async terminate() {
    await this.w.terminate();
  }
}

/** Relevance queries with more hits than this are ranked in halves on two workers, then merged. */
const SPLIT_ABOVE = 100_000;

/**
 * Opens (creating if needed) the archive in a data dir: worker 0 imports and reads, the others
 * read, so searches stay fast while an import runs and broad rankings use every core.
 */
export async function openArchive(dataDir: string, opts: { readers?: number } = {}): Promise<Archive> {
  // Before the archive's threads start: they then share two malloc arenas (line-scan.ts).
  limitMallocArenas(Number(process.env.ARCHIVIST_MALLOC_ARENAS ?? 2));
  const { archiveDb, evidenceDir } = dataPaths(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const first = new Conn(workerUrl, { dbPath: archiveDb, cacheMb: 24, evidenceDir, writer: true });
  await first.ready; // migrations run once, here, before any other thread opens the files
  const extra = Math.max(0, (opts.readers ?? Math.min(2, os.availableParallelism())) - 1);
  const others = Array.from({ length: extra }, () => new Conn(workerUrl, { dbPath: archiveDb, cacheMb: 32, evidenceDir }));
  const indexer = new Conn(indexerUrl, { dbPath: archiveDb, ftsPath: ftsPathFor(archiveDb) });
  await Promise.all([...others.map((c) => c.ready), indexer.ready]);
  const conns = [first, ...others];
  // Totals cached by readers are stale once the index moved on.
  indexer.onEvent = (m) => {
    if (m.event === 'indexed') for (const c of conns) void c.call('invalidate').catch(() => undefined);
  };
  const readerPick = () => conns.reduce((a, b) => (b.busy < a.busy ? b : a), others[0] ?? first);
  let closed = false;
  const read = <T>(op: string, args?: unknown) => {
    if (closed) return Promise.reject(new ArchiveError('closed', 'The archive is closed.'));
    return readerPick().call<T>(op, args);
  };

  const archive: Archive = {
    async importFiles(paths, o = {}) {
      mark('import asked');
      indexer.post('importStart');
      try {
        let last: ImportProgress | undefined;
        const summary = await first.call<ImportSummary>('import', { paths, provenance: o.provenance, sha256: o.sha256 }, (m) => {
          if (m.event === 'committed') indexer.post('kick');
          else if (m.event === 'parsed') indexer.post('importTail');
          else if (m.event === 'progress') {
            last = m.data as ImportProgress;
            o.onProgress?.(last);
          }
        });
        // Return once everything imported is searchable.
        if (last) o.onProgress?.({ ...last, phase: 'search-index', bytes_per_second: 0 });
        mark('imported');
        await indexer.call('catchUp');
        mark('searchable');
        await Promise.all(conns.map((c) => c.call('invalidate')));
        void first.call('checkpoint').catch(() => undefined); // background: the import is done
        return summary;
      } finally {
        indexer.post('importEnd');
      }
    },
    async search(req) {
      const t0 = performance.now();
      const conn = readerPick();
      const r = await conn.call<{ result?: SearchResult; split?: boolean; compiled?: Compiled; total?: number }>('search', {
        req, splitAbove: conns.length > 1 ? SPLIT_ABOVE : undefined,
      });
      if (r.result) return r.result;
      // Broad relevance query: rank each half of the (time-ordered) rowid range on its own worker.
      const compiled = r.compiled!;
      const limit = Math.max(1, Math.min(500, Math.floor(req.limit ?? 50)));
      const offset = req.cursor ? (JSON.parse(Buffer.from(req.cursor, 'base64url').toString()).o ?? 0) : 0;
      const k = offset + limit;
      const bounds = await conn.call<{ lo: number; hi: number }>('rowidBounds');
      const lo = Math.max(compiled.lo, bounds.lo ?? 0);
      const hi = Math.min(compiled.hi, bounds.hi ?? 0);
      const parts = conns.length;
      const step = Math.ceil((hi - lo + 1) / parts);
      const ranked = await Promise.all(conns.map((c, i) =>
        c.call<RankedRow[]>('rankRange', { compiled, lo: lo + i * step, hi: i === parts - 1 ? hi : lo + (i + 1) * step - 1, k })));
      const merged = ranked.flat().sort((a, b) => a.rank - b.rank || b.rowid - a.rowid).slice(offset, k);
      const hits = await conn.call<SearchResult['hits']>('hydrate', { rowids: merged.map((x) => x.rowid), compiled });
      const total = r.total!;
      const result: SearchResult = {
        total, took_ms: 0, hits,
        next_cursor: merged.length === limit && k < total ? Buffer.from(JSON.stringify({ o: k })).toString('base64url') : null,
      };
      if (req.facets) result.facets = await conn.call<SearchFacets>('facets', { query: req.query });
      if (compiled.notices.length) result.notices = compiled.notices;
      result.took_ms = Math.round((performance.now() - t0) * 100) / 100;
      return result;
    },
    facets: (query) => read('facets', { query }),
    context: (req) => read('context', req),
    channelPage: (req) => read('channelPage', req),
    thread: (message_id) => read('thread', { message_id }),
    versions: (message_id) => read('versions', { message_id }),
    raw: (message_id) => read('raw', { message_id }),
    channels: (o) => read('channels', o ?? {}),
    users: (o) => read('users', o ?? {}),
    evidence: () => read('evidence'),
    fileMessageCounts: (sha256) => read('fileMessageCounts', { sha256 }),
    stats: () => read('stats'),
    async whenIndexed() {
      await indexer.call('idle');
    },
    async dropCaches() {
      await Promise.all(conns.map((c) => c.call('invalidate')));
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...conns, indexer].map(async (c) => {
        await c.call('close').catch(() => undefined);
        await c.terminate();
      }));
    },
  };
  return archive;
}

import type { ArchiveDb } from '../db.ts';
import type { FacetBucket, SearchFacets, SearchHit, SearchRequest, SearchResult } from '../types.ts';
import { FLAG } from '../import/records.ts';
import { channelLabelSql } from '../channel-label.ts';
import { compileQuery, type Compiled } from './compile.ts';
import { makeSnippet } from './snippet.ts';
import { QuerySyntaxError } from './query.ts';

export { QuerySyntaxError };

/** Friendly failure for anything FTS5 rejects that the parser let through. */
export class SearchError extends Error {
  readonly code: string;
  constructor(message: string, code = 'bad_query') {
    super(message);
    this.code = code;
  }
}

export interface RankedRow { rowid: number; rank: number }


function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QuerySyntaxError || err instanceof SearchError) throw err;
    const msg = (err as Error).message ?? '';
    if (/fts5|malformed MATCH|syntax error/i.test(msg)) {
      throw new SearchError('The search could not be understood; check quotes, parentheses and operators.');
    }
    throw err;
  }
}

/** Per-connection search engine with a small cache of exact totals (pagination reuses them). */
export class SearchEngine {
  private db: ArchiveDb;
  private counts = new Map<string, number>();
  private hotParsed = new Map<string, { json: string; top: [number, number][] }>();
  private s;

  constructor(db: ArchiveDb) {
    this.db = db;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      count: p('SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?'),
      newest: p('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?'),
      oldest: p('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid ASC LIMIT ?'),
      ranked: p('SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rank, rowid DESC LIMIT ? OFFSET ?'),
      hotFacets: p(`SELECT facets FROM ftsdb.hot_queries
              WHERE key = ? AND gen = (SELECT v FROM ftsdb.indexer_state WHERE k = 'seq') || ':' || (SELECT v FROM ftsdb.indexer_state WHERE k = 'upd')`).pluck(),
      hot: p(`SELECT total, top FROM ftsdb.hot_queries
              WHERE key = ? AND gen = (SELECT v FROM ftsdb.indexer_state WHERE k = 'seq') || ':' || (SELECT v FROM ftsdb.indexer_state WHERE k = 'upd')`),
      months: p(`SELECT strftime('%Y-%m', rowid / 2000000, 'unixepoch') AS k, count(*) AS n FROM messages_fts
                 WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? GROUP BY k ORDER BY k`),
      chanFacet: p(`SELECT c.cid AS k, ${channelLabelSql('c')} AS label, x.n FROM (
                      SELECT m.channel_pk AS pk, count(*) AS n FROM messages_fts f JOIN messages m ON m.tkey = f.rowid
                      WHERE f.messages_fts MATCH ? AND f.rowid BETWEEN ? AND ? GROUP BY m.channel_pk) x
                    JOIN channels c ON c.pk = x.pk ORDER BY x.n DESC, c.cid LIMIT 50`),
      userFacet: p(`SELECT u.id AS k, coalesce(u.name, u.id) AS label, x.n FROM (
                      SELECT m.user_pk AS pk, count(*) AS n FROM messages_fts f JOIN messages m ON m.tkey = f.rowid
                      WHERE f.messages_fts MATCH ? AND f.rowid BETWEEN ? AND ? GROUP BY m.user_pk) x
                    JOIN users u ON u.pk = x.pk ORDER BY x.n DESC, u.id LIMIT 50`),
    };
  }

  /** Drops cached totals (after an import changed the archive). */
  invalidate() {
    this.counts.clear();
  }

  compile(query: string): Compiled {
    return guard(() => compileQuery(this.db, query));
  }

  /** A precomputed answer for this query at the current index generation, if any. */
  hot(c: Compiled): { total: number; top: [number, number][] } | null {
    if (!c.hotKey) return null;
    const row = this.s.hot.get(c.hotKey) as { total: number; top: string } | undefined;
    if (!row) return null;
    let cached = this.hotParsed.get(c.hotKey);
    if (!cached || cached.json !== row.top) {
      cached = { json: row.top, top: JSON.parse(row.top) };
      this.hotParsed.set(c.hotKey, cached);
    }
    return { total: row.total, top: cached.top };
  }

  count(c: Compiled): number {
    if (c.never) return 0;
    const hot = this.hot(c);
    if (hot) return hot.total;
    const key = `${c.match}\u0000${c.lo}\u0000${c.hi}`;
    let n = this.counts.get(key);
    if (n === undefined) {
      n = guard(() => (this.s.count.get(c.match, c.lo, c.hi) as { n: number }).n);
      if (this.counts.size > 500) this.counts.clear();
      this.counts.set(key, n);
    }
    return n;
  }

  offsetOf(cursor: string): number {
    return decodeCursor(cursor)?.o ?? 0;
  }

  /** Top-k by relevance within a rowid sub-range: one half of a ranking split across workers. */
  rankRange(c: Compiled, lo: number, hi: number, k: number): RankedRow[] {
    return guard(() => this.s.ranked.all(c.match, Math.max(lo, c.lo), Math.min(hi, c.hi), k, 0) as RankedRow[]);
  }

  pageRowids(c: Compiled, sort: SearchRequest['sort'], limit: number, cursor: Cursor | null): number[] {
    if (c.never) return [];
    if (sort === 'relevance' && c.textless) return this.pageRowids(c, 'newest', limit, cursor);
    return guard(() => {
      if (sort === 'relevance') {
        const offset = cursor?.o ?? 0;
        const hot = this.hot(c);
        if (hot && (offset + limit <= hot.top.length || hot.top.length === hot.total)) {
          return hot.top.slice(offset, offset + limit).map((r) => r[0]);
        }
        return (this.s.ranked.all(c.match, c.lo, c.hi, limit, offset) as RankedRow[]).map((r) => r.rowid);
      }
      const desc = sort !== 'oldest';
      const lo = !desc && cursor?.r != null ? Math.max(c.lo, cursor.r + 1) : c.lo;
      const hi = desc && cursor?.r != null ? Math.min(c.hi, cursor.r - 1) : c.hi;
      return (desc ? this.s.newest : this.s.oldest).all(c.match, lo, hi, limit).map((r: any) => r.rowid as number);
    });
  }

  hydrate(rowids: number[], c: Compiled): SearchHit[] {
    if (rowids.length === 0) return [];
    const rows = this.db.prepare(
      `SELECT m.tkey AS rowid, m.id, c.cid, c.name AS channel_name, ${channelLabelSql('c')} AS channel_label, u.id AS user_id, u.name AS user_name, m.created_at, m.type,
              m.parent_id, m.flags, m.versions, m.text, m.att_text
       FROM messages m JOIN channels c ON c.pk = m.channel_pk LEFT JOIN users u ON u.pk = m.user_pk
       WHERE m.tkey IN (${rowids.map(() => '?').join(',')})`,
    ).all(...rowids) as any[];
    const byRow = new Map(rows.map((r) => [r.rowid as number, r]));
    return rowids.flatMap((id) => {
      const r = byRow.get(id);
      if (!r) return [];
      const text = r.text || r.att_text || '';
      // A hit only in an attachment title: show the title.
      const snippetSource = r.att_text && c.highlight.words.size && !makeSnippet(text, c.highlight).includes('<mark>') ? r.att_text : text;
      return [{
        message_id: r.id, cid: r.cid, channel_name: r.channel_name, channel_label: r.channel_label, user_id: r.user_id, user_name: r.user_name,
        created_at: r.created_at, type: r.type, parent_id: r.parent_id, deleted: !!(r.flags & FLAG.deleted),
        edited: !!(r.flags & FLAG.edited) || r.versions > 1, snippet: makeSnippet(snippetSource, c.highlight),
      }];
    });
  }

  facets(c: Compiled): SearchFacets {
    if (c.never) return { channels: [], users: [], months: [] };
    const hot = c.hotKey ? (this.s.hotFacets.get(c.hotKey) as string | null | undefined) : null;
    if (hot) return JSON.parse(hot);
    return guard(() => {
      const map = (rows: any[]): FacetBucket[] => rows.map((r) => ({ key: r.k, label: r.label ?? r.k, count: r.n }));
      return {
        channels: map(this.s.chanFacet.all(c.match, c.lo, c.hi)),
        users: map(this.s.userFacet.all(c.match, c.lo, c.hi)),
        months: map(this.s.months.all(c.match, c.lo, c.hi)),
      };
    });
  }

  /** The whole search on this connection (the archive client may split ranking across workers). */
  search(req: SearchRequest): SearchResult {
    const t0 = performance.now();
    const limit = clampLimit(req.limit);
    const sort = req.sort ?? 'relevance';
    const c = this.compile(req.query);
    const cursor = decodeCursor(req.cursor);
    const total = this.count(c);
    const rowids = this.pageRowids(c, sort, limit, cursor);
    const hits = this.hydrate(rowids, c);
    const result: SearchResult = {
      total, took_ms: 0, hits,
      next_cursor: nextCursor(sort, rowids, limit, cursor, total, c.textless),
    };
    if (req.facets) result.facets = this.facets(c);
    if (c.notices.length) result.notices = c.notices;
    result.took_ms = Math.round((performance.now() - t0) * 100) / 100;
    return result;
  }
}

export interface Cursor { r?: number; o?: number }

export const clampLimit = (n: number | undefined) => Math.max(1, Math.min(500, Math.floor(n ?? 50)));

export function decodeCursor(s: string | undefined): Cursor | null {
  if (!s) return null;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (typeof v === 'object' && v && (typeof v.r === 'number' || typeof v.o === 'number')) return v;
  } catch { /* fall through */ }
  throw new SearchError('This page link is no longer valid; run the search again.', 'bad_cursor');
}

export function nextCursor(
  sort: SearchRequest['sort'], rowids: number[], limit: number, cursor: Cursor | null, total: number, textless = false,
): string | null {
  if (rowids.length < limit) return null;
  const v: Cursor = (sort === 'relevance' || sort === undefined) && !textless
    ? { o: (cursor?.o ?? 0) + rowids.length }
    : { r: rowids[rowids.length - 1] };
  if (v.o !== undefined && v.o >= total) return null;
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}


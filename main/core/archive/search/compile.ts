import type { ArchiveDb } from '../db.ts';
import { fold } from './fold.ts';
import { QuerySyntaxError, parseQuery, type FilterKey, type Node } from './query.ts';

/** A query ready to run: an FTS5 MATCH string (built only from quoted tokens) and a rowid range. */
export interface Compiled {
  match: string;
  lo: number;
  hi: number;
  /** Known to match nothing (e.g. from:nobody) — no need to ask FTS5. */
  never: boolean;
  /** Folded words/prefixes to highlight in snippets. */
  highlight: { words: Set<string>; prefixes: string[] };
  notices: string[];
  /** Set for a lone word or prefix with no filter: its answer may be precomputed (hot_queries). */
  hotKey?: string;
  /** Only filters, no words: every hit scores the same, so relevance order is time order. */
  textless: boolean;
}

const TEXT = 'body';
const ALL = 'meta : fany';
const TRUE = { s: ALL, kind: 'true' as const };
const FALSE = { s: '', kind: 'false' as const };
/** A word with nothing searchable in it (punctuation, emoji): neutral wherever it stands. */
const SKIP = { s: '', kind: 'skip' as const };
type Out = { s: string; kind: 'expr' | 'true' | 'false' | 'skip' };

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const MAX_TS = 8e15;

const FLAGS: Record<string, Record<string, string>> = {
  has: { attachment: 'fatt', attachments: 'fatt', file: 'fatt', reaction: 'freact', reactions: 'freact' },
  is: { reply: 'freply', thread: 'freply', deleted: 'fdel', edited: 'fedit', pinned: 'fpin', system: 'fsys' },
};

/** Parses a date or date-time (UTC) into [start µs, end µs) of what the user meant. */
function dateRange(value: string, key: FilterKey): [number, number] {
  const day = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value);
  if (day) {
    const y = Number(day[1]), m = Number(day[2]) - 1;
    if (day[3]) {
      const start = Date.UTC(y, m, Number(day[3]));
      if (Number.isNaN(start) || m > 11 || Number(day[3]) > 31) throw new QuerySyntaxError(`"${value}" is not a valid date (use YYYY-MM-DD).`, 0);
      return [start * 1000, (start + 86_400_000) * 1000];
    }
    return [Date.UTC(y, m, 1) * 1000, Date.UTC(y, m + 1, 1) * 1000];
  }
  const ms = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(ms)) return [ms * 1000, ms * 1000 + 1];
  throw new QuerySyntaxError(`${key}: needs a date like 2024-05-01 (or 2024-05, or 2024-05-01T10:00Z), not "${value}".`, 0);
}

export function compileQuery(db: ArchiveDb, query: string): Compiled {
  const ast = parseQuery(query);
  const out: Compiled = { match: ALL, lo: 0, hi: MAX_TS * 2, never: false, highlight: { words: new Set(), prefixes: [] }, notices: [], textless: true };
  if (!ast) return out;

  // Date filters narrow the rowid range (rowids are time-ordered); they only make sense ANDed.
  const top = ast.t === 'and' ? ast.items : [ast];
  const rest: Node[] = [];
  for (const n of top) {
    if (n.t === 'filter' && (n.key === 'before' || n.key === 'after' || n.key === 'on')) {
      const [s, e] = dateRange(n.value, n.key);
      if (n.key === 'before') out.hi = Math.min(out.hi, s * 2 - 1);
      else if (n.key === 'after') out.lo = Math.max(out.lo, e * 2);
      else {
        out.lo = Math.max(out.lo, s * 2);
        out.hi = Math.min(out.hi, e * 2 - 1);
      }
    } else rest.push(n);
  }
  if (out.lo > out.hi) out.never = true;

  const userStmt = db.prepare(
    `SELECT pk FROM users WHERE id = @id OR name_fold = @name OR name_fold LIKE @like ESCAPE '\\' LIMIT 200`,
  );
  const chanStmt = db.prepare(
    `SELECT pk FROM channels WHERE cid = @id OR id = @id OR name_fold = @name OR name_fold LIKE @like ESCAPE '\\' LIMIT 200`,
  );
  const termStmt = db.prepare(`SELECT term FROM terms_tri WHERE term LIKE ? ESCAPE '\\' LIMIT 301`);
  const likeEsc = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

  const ignored: string[] = [];
  const addWords = (text: string) => {
    for (const w of fold(text).match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []) out.highlight.words.add(w);
  };

  const filter = (key: FilterKey, value: string): Out => {
    if (key === 'from' || key === 'in') {
      const v = fold(value.replace(/^[@#]/, ''));
      const rows = (key === 'from' ? userStmt : chanStmt).all({ id: value.replace(/^[@#]/, ''), name: v, like: likeEsc(v) + ' %' }) as { pk: number }[];
      if (rows.length === 0) {
        out.notices.push(`No ${key === 'from' ? 'user' : 'channel'} matches "${value}" in the archive.`);
        return FALSE;
      }
      const p = key === 'from' ? 'u' : 'c';
      return { s: '(' + rows.map((r) => `meta : ${p}${r.pk}`).join(' OR ') + ')', kind: 'expr' };
    }
    if (key === 'has' || key === 'is') {
      const tok = FLAGS[key][value.toLowerCase()];
      if (!tok) {
        throw new QuerySyntaxError(`${key}:${value} is not a filter. Use ${Object.keys(FLAGS[key]).map((k) => `${key}:${k}`).join(', ')}.`, 0);
      }
      return { s: `meta : ${tok}`, kind: 'expr' };
    }
    throw new QuerySyntaxError(`${key}: (a date filter) can only be combined with AND, not inside OR or NOT.`, 0);
  };

  const compile = (n: Node, negated: boolean): Out => {
    switch (n.t) {
      case 'term': {
        if (!negated) out.textless = false;
        const f = fold(n.text);
        if (!/[\p{L}\p{N}\p{Co}]/u.test(f)) {
          ignored.push(n.text); // punctuation or emoji: not indexed as words
          return SKIP;
        }
        if (n.mode === 'word') {
          if (!negated) addWords(n.text);
          return { s: `${TEXT} : ${q(n.text)}`, kind: 'expr' };
        }
        if (n.mode === 'prefix') {
          if (!negated) out.highlight.prefixes.push(f);
          return { s: `${TEXT} : ${q(n.text)}*`, kind: 'expr' };
        }
        const terms = (termStmt.all(`%${likeEsc(f)}%`) as { term: string }[]).map((r) => r.term);
        if (terms.length > 300) {
          throw new QuerySyntaxError(`"${n.text}" is part of too many different words; type a longer piece.`, 0);
        }
        if (terms.length === 0) return FALSE;
        if (!negated) terms.forEach((t) => out.highlight.words.add(t));
        return { s: '(' + terms.map((t) => `${TEXT} : ${q(t)}`).join(' OR ') + ')', kind: 'expr' };
      }
      case 'phrase':
        if (!negated) out.textless = false;
        if (!/[\p{L}\p{N}\p{Co}]/u.test(n.text)) throw new QuerySyntaxError(`"${n.text}" has no words to search for.`, 0);
        if (!negated) addWords(n.text);
        return { s: `${TEXT} : ${q(n.text)}`, kind: 'expr' };
      case 'near':
        if (!negated) out.textless = false;
        if (!negated) n.terms.forEach(addWords);
        return { s: `${TEXT} : NEAR(${n.terms.map(q).join(' ')}, ${n.distance})`, kind: 'expr' };
      case 'filter':
        return filter(n.key, n.value);
      case 'not': {
        const inner = compile(n.item, !negated);
        if (inner.kind === 'skip') return SKIP;
        if (inner.kind === 'false') return TRUE;
        if (inner.kind === 'true') return FALSE;
        return { s: `(${ALL} NOT ${inner.s})`, kind: 'expr' };
      }
      case 'and': {
        const pos: string[] = [];
        const neg: string[] = [];
        let sawReal = false;
        for (const item of n.items) {
          if (item.t === 'not') {
            const inner = compile(item.item, !negated);
            if (inner.kind === 'skip') continue;
            if (inner.kind === 'true') return FALSE;
            if (inner.kind === 'expr') neg.push(inner.s);
            continue;
          }
          const o = compile(item, negated);
          if (o.kind === 'false') return FALSE;
          if (o.kind === 'expr') pos.push(o.s);
          if (o.kind !== 'skip') sawReal = true;
        }
        if (pos.length === 0 && neg.length === 0) return sawReal ? TRUE : SKIP;
        let s = pos.length ? `(${pos.join(' AND ')})` : ALL;
        for (const x of neg) s = `(${s} NOT ${x})`;
        return { s, kind: 'expr' };
      }
      case 'or': {
        const parts: string[] = [];
        let allSkip = true;
        for (const item of n.items) {
          const o = compile(item, negated);
          if (o.kind === 'true') return TRUE;
          if (o.kind === 'expr') parts.push(o.s);
          if (o.kind !== 'skip') allSkip = false;
        }
        return parts.length ? { s: `(${parts.join(' OR ')})`, kind: 'expr' } : allSkip ? SKIP : FALSE;
      }
    }
  };

  const body: Node | null = rest.length === 0 ? null : rest.length === 1 ? rest[0] : { t: 'and', items: rest };
  if (body && body.t === 'term' && body.mode !== 'substring' && out.lo === 0 && out.hi === MAX_TS * 2) {
    const f = fold(body.text);
    if (/^[\p{L}\p{N}\p{Co}]+$/u.test(f)) out.hotKey = hotKey(body.mode === 'prefix' ? 'p' : 'w', f);
  }
  if (body) {
    const o = compile(body, false);
    if (o.kind === 'false') out.never = true;
    else out.match = o.s;
    if (ignored.length) {
      if (o.kind === 'skip' && out.lo === 0 && out.hi === MAX_TS * 2) {
        throw new QuerySyntaxError(`"${ignored.join(' ')}" has no letters or digits to search for (emoji and punctuation are not indexed as words).`, 0);
      }
      out.notices.push(`Ignored ${ignored.map((x) => `"${x}"`).join(', ')}: punctuation and emoji are not searchable words.`);
    }
  }
  return out;
}

/** Key of a precomputed broad query: 'w:<word>' or 'p:<prefix>' (folded). */
export const hotKey = (kind: 'w' | 'p', folded: string) => `${kind}:${folded}`;
/** The MATCH expression for a hot key (as compileQuery builds it). */
export const hotMatch = (key: string) => `${TEXT} : ${q(key.slice(2))}${key.startsWith('p:') ? '*' : ''}`;

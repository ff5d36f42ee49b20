/**
 * The search language, parsed into an AST. Nothing the user types reaches SQL or FTS5 syntax
 * directly: every word is re-quoted when compiled, so input can never inject operators it did
 * not mean.
 *
 *   words            all must match (implicit AND)
 *   "a phrase"       exact sequence
 *   contr*           prefix;  *ntrac* substring (also used automatically for CJK text)
 *   a OR b, a AND b, NOT a, -a, ( … )
 *   NEAR(a b, 5)     words within 5 tokens (default 10)
 *   from:alice  in:general  before:2024-05-01  after:2024-01-01  on:2024-03-02
 *   has:attachment|reaction   is:reply|deleted|edited|pinned|system
 */

export type Node =
  | { t: 'term'; text: string; mode: 'word' | 'prefix' | 'substring' }
  | { t: 'phrase'; text: string }
  | { t: 'near'; terms: string[]; distance: number }
  | { t: 'filter'; key: FilterKey; value: string }
  | { t: 'and' | 'or'; items: Node[] }
  | { t: 'not'; item: Node };

export type FilterKey = 'from' | 'in' | 'before' | 'after' | 'on' | 'has' | 'is';
const FILTER_KEYS = new Set<string>(['from', 'in', 'before', 'after', 'on', 'has', 'is', 'user', 'channel', 'during']);
const ALIASES: Record<string, FilterKey> = { user: 'from', channel: 'in', during: 'on' };

/** A mistake in what the user typed; `message` is shown to them as is. */
export class QuerySyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'QuerySyntaxError';
    this.position = position;
  }
}

type Tok =
  | { k: 'word'; v: string; pos: number }
  | { k: 'phrase'; v: string; pos: number }
  | { k: 'filter'; key: FilterKey; v: string; pos: number }
  | { k: '(' | ')' | 'AND' | 'OR' | 'NOT' | 'NEAR' | ','; pos: number };

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
export const hasCjk = (s: string) => CJK.test(s);

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = q.length;
  const readQuoted = (start: number): { v: string; end: number } => {
    const close = q.indexOf('"', start + 1);
    if (close < 0) throw new QuerySyntaxError('A quote is not closed: add the missing " to end the phrase.', start);
    return { v: q.slice(start + 1, close), end: close + 1 };
  };
  while (i < n) {
    const c = q[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ k: c, pos: i }); i++; continue; }
    if (c === '"') {
      const { v, end } = readQuoted(i);
      out.push({ k: 'phrase', v, pos: i });
      i = end;
      continue;
    }
    if (c === '-' && i + 1 < n && /[\p{L}\p{N}"(*]/u.test(q[i + 1]) && (i === 0 || /[\s(]/.test(q[i - 1]))) {
      out.push({ k: 'NOT', pos: i });
      i++;
      continue;
    }
    let j = i;
    while (j < n && !/[\s()",]/.test(q[j])) j++;
    const word = q.slice(i, j);
    const colon = word.indexOf(':');
    if (colon > 0 && FILTER_KEYS.has(word.slice(0, colon).toLowerCase())) {
      const rawKey = word.slice(0, colon).toLowerCase();
      const key = (ALIASES[rawKey] ?? rawKey) as FilterKey;
      let value = word.slice(colon + 1);
      let end = j;
      if (value === '' && q[j] === '"') {
        const r = readQuoted(j);
        value = r.v;
        end = r.end;
      }
      if (!value) throw new QuerySyntaxError(`"${rawKey}:" needs a value, e.g. ${example(key)}.`, i);
      out.push({ k: 'filter', key, v: value, pos: i });
      i = end;
      continue;
    }
    if (word === 'AND' || word === 'OR' || word === 'NOT') out.push({ k: word, pos: i });
    else if (word === 'NEAR' && q[j] === '(') out.push({ k: 'NEAR', pos: i });
    else out.push({ k: 'word', v: word, pos: i });
    i = j;
  }
  return out;
}

function example(key: FilterKey): string {
  return { from: 'from:alice', in: 'in:general', before: 'before:2024-05-01', after: 'after:2024-01-01', on: 'on:2024-03-02', has: 'has:attachment', is: 'is:deleted' }[key];
}

function wordNode(v: string): Node {
  const starts = v.startsWith('*');
  const ends = v.endsWith('*');
  const core = v.replace(/^\*+|\*+$/g, '');
  if (!core) throw new QuerySyntaxError('A lone * is not a search: put it after the start of a word, e.g. contr*.', 0);
  if (starts) return { t: 'term', text: core, mode: 'substring' };
  if (hasCjk(core)) return { t: 'term', text: core, mode: 'substring' };
  return { t: 'term', text: core, mode: ends ? 'prefix' : 'word' };
}

export function parseQuery(q: string): Node | null {
  const toks = tokenize(q.normalize('NFC').replace(/[“”„]/g, '"'));
  let p = 0;
  const peek = () => toks[p];
  const fail = (msg: string, pos = peek()?.pos ?? q.length): never => {
    throw new QuerySyntaxError(msg, pos);
  };

  const primary = (): Node => {
    const t = toks[p];
    if (!t) return fail('The search ends where a word was expected.');
    switch (t.k) {
      case '(': {
        p++;
        if (peek()?.k === ')') fail('Empty parentheses: put something to search for inside ( ).', t.pos);
        const e = orExpr();
        if (peek()?.k !== ')') fail('A parenthesis is not closed: add the missing ).', t.pos);
        p++;
        return e;
      }
      case 'phrase':
        p++;
        if (!t.v.trim()) fail('Empty quotes: put words between the quotes.', t.pos);
        return hasCjk(t.v) && !/\s/.test(t.v.trim()) ? { t: 'term', text: t.v.trim(), mode: 'substring' } : { t: 'phrase', text: t.v };
      case 'filter':
        p++;
        return { t: 'filter', key: t.key, value: t.v };
      case 'word':
        p++;
        return wordNode(t.v);
      case 'NEAR': {
        p += 1;
        if (peek()?.k !== '(') fail('NEAR needs parentheses: NEAR(word1 word2, 5).', t.pos);
        p++;
        const terms: string[] = [];
        let distance = 10;
        while (peek() && peek()!.k !== ')') {
          const x = toks[p];
          if (x.k === 'word' || x.k === 'phrase') terms.push(x.v);
          else if (x.k === ',') {
            const d = toks[p + 1];
            if (!d || d.k !== 'word' || !/^\d+$/.test(d.v)) fail('After the comma in NEAR( … , N) put a number of words, e.g. 5.', x.pos);
            distance = Number((d as { v: string }).v);
            p++;
          } else fail('Only words can go inside NEAR( ).', x.pos);
          p++;
        }
        if (peek()?.k !== ')') fail('NEAR( is not closed: add the missing ).', t.pos);
        p++;
        if (terms.length < 2) fail('NEAR needs at least two words: NEAR(contract signed, 5).', t.pos);
        return { t: 'near', terms, distance };
      }
      case ')':
        return fail('There is a ) without a matching (.', t.pos);
      default:
        return fail(`"${t.k}" must stand between two things to search for (e.g. invoice ${t.k === 'NOT' ? 'NOT draft' : `${t.k} receipt`}).`, t.pos);
    }
  };
  const notExpr = (): Node => {
    if (peek()?.k === 'NOT') {
      const t = toks[p++];
      if (!peek() || peek()!.k === ')' || peek()!.k === 'OR' || peek()!.k === 'AND') fail('NOT needs something after it (e.g. NOT draft).', t.pos);
      return { t: 'not', item: notExpr() };
    }
    return primary();
  };
  const andExpr = (): Node => {
    const items = [notExpr()];
    while (peek() && peek()!.k !== 'OR' && peek()!.k !== ')') {
      if (peek()!.k === 'AND') {
        const t = toks[p++];
        if (!peek() || peek()!.k === ')' || peek()!.k === 'OR') fail('AND needs something on both sides.', t.pos);
      }
      items.push(notExpr());
    }
    return items.length === 1 ? items[0] : { t: 'and', items };
  };
  const orExpr = (): Node => {
    const items = [andExpr()];
    while (peek()?.k === 'OR') {
      const t = toks[p++];
      if (!peek() || peek()!.k === ')') fail('OR needs something on both sides.', t.pos);
      items.push(andExpr());
    }
    return items.length === 1 ? items[0] : { t: 'or', items };
  };

  if (toks.length === 0) return null;
  const ast = orExpr();
  if (p < toks.length) fail(toks[p].k === ')' ? 'There is a ) without a matching (.' : 'Unexpected text in the search.', toks[p].pos);
  return ast;
}

import type { ContractError, SearchFacets, SearchHit, SearchSort } from '../../../preload/contract.ts';
import { type SliceCreator } from './types.ts';

/** Quiet time after the last keystroke before searching (part of the ≤150 ms refresh budget). */
// Short: a search at 1M messages answers in tens of ms, and stale answers are dropped (seq).
export const SEARCH_DEBOUNCE_MS = 40;
export const SEARCH_PAGE = 100;

export interface Suggestion {
  /** What replaces the token being typed, e.g. `from:alice` or `in:"general chat"`. */
  insert: string;
  label: string;
  detail: string;
}

export interface SearchSlice {
  query: string;
  sort: SearchSort;
  hits: SearchHit[];
  total: number | null;
  tookMs: number | null;
  facets: SearchFacets | null;
  nextCursor: string | null;
  searching: boolean;
  loadingMore: boolean;
  searchError: ContractError | null;
  /** The query the current results belong to. */
  resultQuery: string;
  suggestions: Suggestion[];
  typeQuery(query: string): void;
  runSearch(query?: string): Promise<void>;
  setSort(sort: SearchSort): void;
  loadMore(): Promise<void>;
  addFilter(token: string): void;
  suggest(query: string, caret: number): Promise<void>;
  clearSuggestions(): void;
}

/** The `from:`/`in:` token the caret is in, if any. */
export function completionToken(query: string, caret: number): { kind: 'from' | 'in'; text: string; start: number } | null {
  const before = query.slice(0, caret);
  const m = /(^|[\s(])(from|in):("?)([^\s"]*)$/i.exec(before);
  if (!m) return null;
  return { kind: m[2].toLowerCase() as 'from' | 'in', text: m[4], start: before.length - m[0].length + m[1].length };
}

const quoteIfNeeded = (s: string) => (/[\s"()]/.test(s) ? `"${s.replace(/"/g, '')}"` : s);

export const createSearchSlice: SliceCreator<SearchSlice> = (api) => (set, get) => {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let seq = 0;
  let suggestSeq = 0;
  return {
    query: '',
    sort: 'relevance',
    hits: [],
    total: null,
    tookMs: null,
    facets: null,
    nextCursor: null,
    searching: false,
    loadingMore: false,
    searchError: null,
    resultQuery: '',
    suggestions: [],

    typeQuery(query) {
      set({ query });
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void get().runSearch();
      }, SEARCH_DEBOUNCE_MS);
    },

    async runSearch(query) {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      const q = (query ?? get().query).trim();
      if (query !== undefined) set({ query });
      const mine = ++seq;
      if (!q) {
        set({ hits: [], total: null, facets: null, nextCursor: null, searching: false, searchError: null, resultQuery: '' });
        return;
      }
      set({ searching: true });
      // Hits and count first; facets (a heavier aggregate on broad queries) follow in their own call.
      const out = await api.call('archive.search', { query: q, sort: get().sort, limit: SEARCH_PAGE });
      if (mine !== seq) return; // typing moved on
      if (!out.ok) {
        set({ searching: false, searchError: out.error, resultQuery: q });
        return;
      }
      const r = out.value;
      set({
        searching: false,
        searchError: null,
        hits: r.hits,
        total: r.total,
        tookMs: r.took_ms,
        facets: null,
        nextCursor: r.next_cursor,
        resultQuery: q,
      });
      if (r.total > 0) {
        const f = await api.call('archive.facets', { query: q });
        if (mine === seq && f.ok) set({ facets: f.value });
      }
    },

    setSort(sort) {
      set({ sort });
      void get().runSearch();
    },

    async loadMore() {
      const { nextCursor, resultQuery, sort, loadingMore } = get();
      if (!nextCursor || loadingMore) return;
      const mine = seq;
      set({ loadingMore: true });
      const out = await api.call('archive.search', { query: resultQuery, sort, limit: SEARCH_PAGE, cursor: nextCursor });
      if (mine !== seq) return;
      if (!out.ok) {
        set({ loadingMore: false, searchError: out.error });
        return;
      }
      set({ loadingMore: false, hits: [...get().hits, ...out.value.hits], nextCursor: out.value.next_cursor });
    },

    addFilter(token) {
      const q = get().query.trim();
      const next = q.includes(token) ? q : `${q} ${token}`.trim();
      void get().runSearch(next);
    },

    async suggest(query, caret) {
      const tok = completionToken(query, caret);
      const mine = ++suggestSeq;
      if (!tok) {
        if (get().suggestions.length) set({ suggestions: [] });
        return;
      }
      let suggestions: Suggestion[] = [];
      if (tok.kind === 'from') {
        const out = await api.call('archive.users', { query: tok.text || undefined, limit: 8 });
        if (out.ok) {
          suggestions = out.value.map((u) => ({
            insert: `from:${quoteIfNeeded(u.id)}`,
            label: u.name ?? u.id,
            detail: u.role ? `${u.id} · ${u.role}` : u.id,
          }));
        }
      } else {
        const out = await api.call('archive.channels', { query: tok.text || undefined, limit: 8 });
        if (out.ok) {
          suggestions = out.value.map((c) => ({
            insert: `in:${quoteIfNeeded(c.cid)}`,
            label: c.label,
            detail: `${c.cid} · ${c.messages.toLocaleString()} messages`,
          }));
        }
      }
      if (mine === suggestSeq) set({ suggestions });
    },

    clearSuggestions() {
      suggestSeq++;
      set({ suggestions: [] });
    },
  };
};

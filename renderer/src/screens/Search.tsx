import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { SearchHit, SearchSort } from '../../../preload/contract.ts';
import { useApp } from '../store/context.tsx';
import { completionToken } from '../store/search.ts';
import { Snippet } from '../lib/snippet.tsx';
import { formatCount, formatDateTime } from '../lib/time.ts';

const SYNTAX: [string, string][] = [
  ['word another', 'both words (AND is implied)'],
  ['"exact phrase"', 'the words in this order'],
  ['contr*', 'words starting with contr'],
  ['a OR b, NOT c, ( … )', 'boolean logic and grouping'],
  ['NEAR(a b, 5)', 'a and b within 5 words'],
  ['from:alice', 'sent by a user (id or name)'],
  ['in:general', 'in a channel (cid or name)'],
  ['before:2024-01-31 after:… on:…', 'by date'],
  ['has:attachment has:reaction', 'with attachments / reactions'],
  ['is:reply is:deleted is:edited is:pinned', 'by message state'],
];

function QueryBar() {
  const query = useApp((s) => s.query);
  const typeQuery = useApp((s) => s.typeQuery);
  const runSearch = useApp((s) => s.runSearch);
  const suggest = useApp((s) => s.suggest);
  const suggestions = useApp((s) => s.suggestions);
  const clearSuggestions = useApp((s) => s.clearSuggestions);
  const [active, setActive] = useState(0);
  const [help, setHelp] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const helpId = useId();

  const apply = (i: number) => {
    const el = input.current;
    const sug = suggestions[i];
    if (!el || !sug) return;
    const caret = el.selectionStart ?? query.length;
    const tok = completionToken(query, caret);
    if (!tok) return;
    const rest = query.slice(caret).replace(/^[^\s]*/, '');
    const next = `${query.slice(0, tok.start)}${sug.insert} ${rest.trimStart()}`.replace(/\s+$/, ' ');
    clearSuggestions();
    typeQuery(next);
    requestAnimationFrame(() => {
      const pos = tok.start + sug.insert.length + 1;
      el.setSelectionRange(pos, pos);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.length) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((a) => (a + 1) % suggestions.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((a) => (a - 1 + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        apply(active);
        return;
      }
      if (e.key === 'Escape') {
        clearSuggestions();
        return;
      }
    }
    if (e.key === 'Enter') void runSearch();
  };

  return (
    <div className="query-bar">
      <div className="combo">
        <label htmlFor="search-input" className="visually-hidden">
          Search the archive
        </label>
        <input
          id="search-input"
          ref={input}
          type="search"
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={suggestions.length ? `${listId}-${active}` : undefined}
          aria-describedby={help ? helpId : undefined}
          placeholder='Search messages — try "term sheet" from:alice in:deals after:2024-01-01'
          value={query}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            typeQuery(e.target.value);
            setActive(0);
            void suggest(e.target.value, e.target.selectionStart ?? e.target.value.length);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(clearSuggestions, 150)}
        />
        <ul id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={suggestions.length === 0}>
          {suggestions.map((s, i) => (
            <li
              key={s.insert}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                apply(i);
              }}
            >
              <span>{s.label}</span>
              <span className="muted">{s.detail}</span>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" className="secondary" aria-expanded={help} aria-controls={helpId} onClick={() => setHelp(!help)}>
        Syntax
      </button>
      {help && (
        <div id={helpId} className="syntax-help" role="note" aria-label="Search syntax">
          <dl>
            {SYNTAX.map(([k, v]) => (
              <div key={k}>
                <dt>
                  <code>{k}</code>
                </dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </div>
  );
}

function Facets() {
  const facets = useApp((s) => s.facets);
  const addFilter = useApp((s) => s.addFilter);
  if (!facets) return null;
  const groups: { title: string; prefix: string; buckets: typeof facets.channels; quote?: boolean }[] = [
    { title: 'Channels', prefix: 'in:', buckets: facets.channels },
    { title: 'People', prefix: 'from:', buckets: facets.users },
    { title: 'Months', prefix: 'on:', buckets: facets.months },
  ];
  return (
    <aside className="facets" aria-label="Refine results">
      {groups.map((g) =>
        g.buckets.length === 0 ? null : (
          <section key={g.title}>
            <h3>{g.title}</h3>
            <ul>
              {g.buckets.slice(0, 12).map((b) => (
                <li key={b.key}>
                  <button
                    type="button"
                    className="facet"
                    onClick={() => addFilter(`${g.prefix}${/[\s"]/.test(b.key) ? `"${b.key}"` : b.key}`)}
                    title={`Add ${g.prefix}${b.key} to the query`}
                  >
                    <span className="facet-label">{b.label}</span>
                    <span className="count">{formatCount(b.count)}</span>
                    <span className="visually-hidden"> results, add as a filter</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ),
      )}
    </aside>
  );
}

function HitRow({ hit, zone, onOpen }: { hit: SearchHit; zone: string; onOpen: (h: SearchHit) => void }) {
  return (
    <button type="button" className="hit" onClick={() => onOpen(hit)} data-message-id={hit.message_id}>
      <span className="hit-meta">
        <span className="author">{hit.user_name ?? hit.user_id ?? 'unknown'}</span>
        <span className="channel">in {hit.channel_label}</span>
        <time dateTime={hit.created_at}>{formatDateTime(hit.created_at, zone)}</time>
        {hit.parent_id && <span className="marker">reply</span>}
        {hit.edited && <span className="marker marker-edited">edited</span>}
        {hit.deleted && <span className="marker marker-deleted">deleted</span>}
      </span>
      <span className="hit-snippet">
        <Snippet html={hit.snippet} />
      </span>
    </button>
  );
}

function Results() {
  const hits = useApp((s) => s.hits);
  const nextCursor = useApp((s) => s.nextCursor);
  const loadMore = useApp((s) => s.loadMore);
  const navigate = useApp((s) => s.navigate);
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const scrollRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: hits.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 76,
    getItemKey: (i) => hits[i]?.message_id ?? i,
    overscan: 6,
  });
  const items = v.getVirtualItems();
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (nextCursor && last >= hits.length - 10) void loadMore();
  }, [last, hits.length, nextCursor, loadMore]);
  useEffect(() => {
    scrollRef.current?.scrollTo?.({ top: 0 });
  }, [hits[0]?.message_id]);

  const open = (h: SearchHit) => navigate({ screen: 'conversation', cid: h.cid, message: h.message_id });
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const current = (document.activeElement as HTMLElement | null)?.closest('[data-index]') as HTMLElement | null;
    const idx = current ? Number(current.dataset.index) : -1;
    const next = Math.max(0, Math.min(hits.length - 1, idx + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    v.scrollToIndex(next);
    requestAnimationFrame(() => (scrollRef.current?.querySelector(`[data-index="${next}"] button`) as HTMLElement | null)?.focus());
  };

  return (
    <div ref={scrollRef} className="results" onKeyDown={onKeyDown}>
      <div role="list" aria-label="Search results" style={{ height: v.getTotalSize(), position: 'relative' }}>
        {items.map((vi) => (
          <div
            key={vi.key}
            role="listitem"
            aria-posinset={vi.index + 1}
            aria-setsize={hits.length}
            data-index={vi.index}
            ref={v.measureElement}
            className="hit-row"
            style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${vi.start}px)` }}
          >
            <HitRow hit={hits[vi.index]} zone={zone} onOpen={open} />
          </div>
        ))}
      </div>
    </div>
  );
}

export function SearchScreen() {
  const total = useApp((s) => s.total);
  const tookMs = useApp((s) => s.tookMs);
  const sort = useApp((s) => s.sort);
  const setSort = useApp((s) => s.setSort);
  const searching = useApp((s) => s.searching);
  const error = useApp((s) => s.searchError);
  const resultQuery = useApp((s) => s.resultQuery);
  const stats = useApp((s) => s.workspace?.archived_messages ?? 0);

  return (
    <section className="screen search-screen" aria-labelledby="search-title">
      <header className="screen-head">
        <h1 id="search-title">Search</h1>
        <p className="muted">{formatCount(stats)} messages in the archive</p>
      </header>
      <QueryBar />
      <div className="result-bar">
        <p role="status" aria-live="polite" className="result-count">
          {error
            ? ''
            : total == null
              ? searching
                ? 'Searching…'
                : 'Type to search every archived message.'
              : `${formatCount(total)} ${total === 1 ? 'result' : 'results'}${tookMs != null ? ` · ${tookMs} ms` : ''}`}
        </p>
        <label className="inline-field">
          Sort
          <select value={sort} onChange={(e) => setSort(e.target.value as SearchSort)}>
            <option value="relevance">Relevance</option>
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </label>
      </div>
      {error && (
        <div className="callout callout-error" role="alert">
          <strong>{error.code === 'query_syntax' ? 'Check the query: ' : 'Search failed: '}</strong>
          {error.message}
        </div>
      )}
      <div className="search-body">
        <Facets />
        {resultQuery && total === 0 && !error ? <p className="empty">No messages match “{resultQuery}”.</p> : <Results />}
      </div>
    </section>
  );
}

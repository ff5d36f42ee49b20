import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAppStore } from '../../renderer/src/store/index.ts';
import { SEARCH_DEBOUNCE_MS, completionToken } from '../../renderer/src/store/search.ts';
import { parseSnippet, unescapeHtml } from '../../renderer/src/lib/snippet.tsx';
import { parseHash, routeToHash } from '../../renderer/src/lib/route.ts';
import { fail, fakeApi, hit, message } from './fake-api.ts';
import type { CollectionView, JobView } from '../../preload/contract.ts';

describe('app slice', () => {
  it('loads info, settings and workspace; first run goes to the welcome screen', async () => {
    const api = fakeApi({ 'workspace.status': () => ({ first_run: true, profiles: 0, archived_messages: 0, sandbox: null }) });
    const store = createAppStore(api);
    await store.getState().init();
    const s = store.getState();
    expect(s.ready).toBe(true);
    expect(s.settings?.time_zone).toBe('UTC');
    expect(s.route.screen).toBe('welcome');
  });

  it('reports a boot failure as data', async () => {
    const store = createAppStore(fakeApi({ 'app.info': () => fail('unavailable', 'down') }));
    await store.getState().init();
    expect(store.getState().bootError).toEqual({ code: 'unavailable', message: 'down' });
  });

  it('starting the sandbox selects its profile and goes to Collect', async () => {
    const api = fakeApi({
      'workspace.startSandbox': () => ({ profile_id: 'sbx', base_url: 'http://127.0.0.1:1', channels: 12, users: 40, messages: 5000 }),
      'profiles.list': () => [{ id: 'sbx', name: 'Sandbox', api_key: 'k', base_url: 'http://127.0.0.1:1', sandbox: true, created_at: '', updated_at: '', last_connected_at: null, has_secret: true }],
    });
    const store = createAppStore(api);
    await store.getState().startSandbox();
    expect(store.getState().route.screen).toBe('collect');
    expect(store.getState().collectProfileId).toBe('sbx');
    expect(store.getState().notices.at(-1)?.text).toMatch(/12 channels/);
  });

  it('subscribes to events and routes them to slices', async () => {
    const api = fakeApi();
    const store = createAppStore(api);
    const unsubscribe = await store.getState().init();
    const c = collection();
    api.emit({ type: 'collection.created', collection: c });
    expect(store.getState().collections.map((x) => x.id)).toEqual(['c1']);
    unsubscribe();
  });
});

describe('search slice', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces typing into one search for the last query', async () => {
    const api = fakeApi({ 'archive.search': (q) => ({ total: 1, took_ms: 2, hits: [hit(1)], next_cursor: null, facets: { channels: [], users: [], months: [] } }) });
    const store = createAppStore(api);
    for (const q of ['c', 'co', 'con', 'contract']) store.getState().typeQuery(q);
    expect(api.calls.filter((c) => c.op === 'archive.search')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS + 1);
    const searches = api.calls.filter((c) => c.op === 'archive.search');
    expect(searches).toHaveLength(1);
    expect(searches[0].input).toMatchObject({ query: 'contract', sort: 'relevance' });
    expect(api.calls.at(-1)).toEqual({ op: 'archive.facets', input: { query: 'contract' } });
    expect(store.getState().total).toBe(1);
    expect(store.getState().resultQuery).toBe('contract');
  });

  it('drops a slow answer to an older query', async () => {
    let release!: () => void;
    const api = fakeApi({
      'archive.search': async (q) => {
        if (q.query === 'slow') await new Promise<void>((r) => (release = r));
        return { total: q.query === 'slow' ? 99 : 1, took_ms: 1, hits: [], next_cursor: null };
      },
    });
    const store = createAppStore(api);
    const first = store.getState().runSearch('slow');
    await store.getState().runSearch('fast');
    release();
    await first;
    expect(store.getState().total).toBe(1);
    expect(store.getState().resultQuery).toBe('fast');
  });

  it('shows a syntax error as data and keeps the query', async () => {
    const store = createAppStore(fakeApi({ 'archive.search': () => fail('query_syntax', 'A quote is not closed.') }));
    await store.getState().runSearch('"open');
    expect(store.getState().searchError).toEqual({ code: 'query_syntax', message: 'A quote is not closed.' });
    expect(store.getState().query).toBe('"open');
  });

  it('pages with the cursor and appends', async () => {
    const api = fakeApi({
      'archive.search': (q) =>
        q.cursor ? { total: 3, took_ms: 1, hits: [hit(3)], next_cursor: null } : { total: 3, took_ms: 1, hits: [hit(1), hit(2)], next_cursor: 'next' },
    });
    const store = createAppStore(api);
    await store.getState().runSearch('x');
    await store.getState().loadMore();
    expect(store.getState().hits.map((h) => h.message_id)).toEqual(['m1', 'm2', 'm3']);
    expect(api.calls.at(-1)?.input).toMatchObject({ cursor: 'next', query: 'x' });
  });

  it('a facet adds its filter to the query', async () => {
    const api = fakeApi({ 'archive.search': () => ({ total: 0, took_ms: 1, hits: [], next_cursor: null }) });
    const store = createAppStore(api);
    store.setState({ query: 'contract' });
    store.getState().addFilter('in:team:deals');
    await vi.runAllTimersAsync();
    expect(store.getState().query).toBe('contract in:team:deals');
  });

  it('completes from: and in: from the archive', async () => {
    const api = fakeApi({
      'archive.users': (q) => [{ id: 'alice', name: 'Alice Martin', role: 'admin' }].filter((u) => u.id.startsWith(q.query ?? '')),
      'archive.channels': () => [{ cid: 'team:deal room', name: 'Deal room', label: 'Deal room', messages: 10, type: 'team', members: 2, first_message_at: null, last_message_at: null, deleted: false }],
    });
    const store = createAppStore(api);
    await store.getState().suggest('contract from:al', 16);
    expect(store.getState().suggestions).toEqual([{ insert: 'from:alice', label: 'Alice Martin', detail: 'alice · admin' }]);
    await store.getState().suggest('in:de', 5);
    expect(store.getState().suggestions[0].insert).toBe('in:"team:deal room"');
    await store.getState().suggest('plain words', 11);
    expect(store.getState().suggestions).toEqual([]);
  });

  it('finds the completion token under the caret', () => {
    expect(completionToken('a from:bo', 9)).toEqual({ kind: 'from', text: 'bo', start: 2 });
    expect(completionToken('(in:gen', 7)).toEqual({ kind: 'in', text: 'gen', start: 1 });
    expect(completionToken('from:bob x', 10)).toBeNull();
  });
});

describe('conversation slice', () => {
  it('opens a message in its context and keeps the anchor', async () => {
    const api = fakeApi({
      'archive.context': (q) => ({ cid: 'team:general', channel_name: 'General', channel_label: 'General', anchor: q.message_id, messages: [message(1), message(2), message(3)], has_more_before: true, has_more_after: false }),
    });
    const store = createAppStore(api);
    await store.getState().openMessage('m2');
    const s = store.getState();
    expect(s.convCid).toBe('team:general');
    expect(s.anchorId).toBe('m2');
    expect(s.messages).toHaveLength(3);
    expect(api.calls.at(-1)?.input).toEqual({ message_id: 'm2', before: 100, after: 100 });
  });

  it('opens the thread when the linked message is a reply', async () => {
    const api = fakeApi({
      'archive.context': () => ({ cid: 'team:general', channel_name: 'General', channel_label: 'General', anchor: 'r1', messages: [message(1), message(9, { message_id: 'r1', parent_id: 'm1' })], has_more_before: false, has_more_after: false }),
      'archive.thread': (q) => ({ parent: message(1), replies: [message(9, { message_id: 'r1', parent_id: 'm1' })], asked: q.message_id }),
    });
    const store = createAppStore(api);
    await store.getState().openMessage('r1');
    await vi.waitFor(() => expect(store.getState().thread?.parent.message_id).toBe('m1'));
    expect(api.calls.find((c) => c.op === 'archive.thread')?.input).toEqual({ message_id: 'm1' });
  });

  it('prepends older pages and records how many were added', async () => {
    const api = fakeApi({
      'archive.channelPage': (q) =>
        q.before
          ? { cid: q.cid, messages: [message(1), message(2)], has_more_before: false, has_more_after: true }
          : { cid: q.cid, messages: [message(3), message(4)], has_more_before: true, has_more_after: false },
    });
    const store = createAppStore(api);
    await store.getState().openChannel('team:general');
    await store.getState().loadOlder();
    const s = store.getState();
    expect(s.messages.map((m) => m.message_id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(s.prepended).toEqual({ count: 2, seq: 1 });
    expect(s.hasMoreBefore).toBe(false);
    await store.getState().loadOlder(); // nothing more: no call
    expect(api.calls.filter((c) => c.op === 'archive.channelPage')).toHaveLength(2);
  });

  it('keeps earlier versions or the error per message', async () => {
    const api = fakeApi({ 'archive.versions': () => [{ version: 1, text: 'first', updated_at: null, deleted: false }] });
    const store = createAppStore(api);
    await store.getState().loadVersions('m1');
    expect(store.getState().versions.m1).toEqual([{ version: 1, text: 'first', updated_at: null, deleted: false }]);
  });
});

function job(over: Partial<JobView> = {}): JobView {
  return {
    id: 'j1', collection_id: 'c1', seq: 1, kind: 'channels', targets: ['team:a'], state: 'queued', step: null, error: null, task_id: null,
    task_attempts: 0, download_attempts: 0, bytes_downloaded: 0, total_bytes: null, evidence_sha256: null, imported: null,
    created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: null, ...over,
  };
}
function collection(over: Partial<CollectionView> = {}): CollectionView {
  return {
    id: 'c1', kind: 'channels', profile_id: 'p1', label: null, request: { kind: 'channels', profile_id: 'p1', channels: { cids: ['team:a'] } },
    state: 'running', summary: null, error: null,
    totals: { jobs: 1, by_state: { queued: 1 }, targets: 1, bytes_downloaded: 0, lines_imported: 0, messages_imported: 0, rejected_lines: 0 },
    jobs: [job()], created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: null, ...over,
  };
}

describe('jobs and collect slices', () => {
  it('patches live progress into the job and collection', async () => {
    const store = createAppStore(fakeApi({ 'collections.list': () => [collection()] }));
    await store.getState().loadCollections();
    store.getState().applyProgress({
      scope: 'job', job_id: 'j1', collection_id: 'c1', state: 'downloading', step: null, bytes: 500, total_bytes: 1000,
      bytes_per_second: 250, lines_imported: 0, messages_imported: 0, message: 'downloading', at: '2024-01-01T00:00:01Z',
    });
    const j = store.getState().collections[0].jobs[0];
    expect(j.state).toBe('downloading');
    expect(j.bytes_downloaded).toBe(500);
    expect(store.getState().live.j1?.bytes_per_second).toBe(250);
    store.getState().applyProgress({
      scope: 'collection', collection_id: 'c1', state: 'complete', at: '2024-01-01T00:00:02Z',
      totals: { jobs: 1, by_state: { done: 1 }, targets: 1, bytes_downloaded: 1000, lines_imported: 10, messages_imported: 8, rejected_lines: 0 },
    });
    expect(store.getState().collections[0].state).toBe('complete');
  });

  it('queues the selected channels with the options and opens Jobs', async () => {
    const api = fakeApi({ 'collections.create': () => collection() });
    const store = createAppStore(api);
    store.getState().setCollectProfile('p1');
    store.getState().toggleChannel({ cid: 'team:a', type: 'team', id: 'a', name: 'A', member_count: 2, created_at: null, last_message_at: null });
    store.getState().toggleChannel({ cid: 'team:b', type: 'team', id: 'b', name: 'B', member_count: 2, created_at: null, last_message_at: null });
    store.getState().setCollectOptions({ since: '2024-01-01', include_truncated_messages: true });
    await store.getState().queueCollection();
    expect(api.calls.at(-1)).toEqual({
      op: 'collections.create',
      input: {
        kind: 'channels', profile_id: 'p1', channels: { cids: ['team:a', 'team:b'] }, since: '2024-01-01T00:00:00.000Z', until: undefined,
        include_truncated_messages: true, include_soft_deleted_channels: false, format: 'v2',
      },
    });
    expect(store.getState().route.screen).toBe('jobs');
    expect(store.getState().selectedChannels).toEqual({});
    expect(store.getState().collections).toHaveLength(1);
  });

  it('never keeps a profile secret in the store', async () => {
    const api = fakeApi({
      'profiles.add': (p) => ({ id: 'p1', name: p.name, api_key: p.api_key, base_url: 'https://x', sandbox: false, created_at: '', updated_at: '', last_connected_at: null, has_secret: true }),
      'profiles.rotate': () => ({ id: 'p1', name: 'n', api_key: 'k', base_url: 'https://x', sandbox: false, created_at: '', updated_at: '', last_connected_at: null, has_secret: true }),
    });
    const store = createAppStore(api);
    await store.getState().addProfile({ name: 'Acme', api_key: 'key', secret: 'TOP-SECRET-1' });
    await store.getState().rotateSecret('p1', 'TOP-SECRET-2');
    const dump = JSON.stringify(store.getState());
    expect(dump).not.toContain('TOP-SECRET');
  });
});

describe('snippets and routes', () => {
  it('splits on <mark> and decodes entities without HTML', () => {
    expect(parseSnippet('a <mark>b</mark> &lt;img src=x onerror=alert(1)&gt; <mark>&amp;c</mark>')).toEqual([
      { text: 'a ', hit: false },
      { text: 'b', hit: true },
      { text: ' <img src=x onerror=alert(1)> ', hit: false },
      { text: '&c', hit: true },
    ]);
    expect(unescapeHtml('&#39;&quot;&#x1F600;&bogus;')).toBe(`'"😀&bogus;`);
  });

  it('round-trips routes and stable message links', () => {
    expect(parseHash('#/m/abc%2F1')).toEqual({ screen: 'conversation', message: 'abc/1' });
    expect(routeToHash({ screen: 'conversation', message: 'abc/1' })).toBe('#/m/abc%2F1');
    expect(parseHash(routeToHash({ screen: 'conversation', cid: 'team:a b', message: 'm1' }))).toEqual({ screen: 'conversation', cid: 'team:a b', message: 'm1' });
    expect(parseHash(routeToHash({ screen: 'search', q: 'from:alice "x y"' }))).toEqual({ screen: 'search', q: 'from:alice "x y"' });
    expect(parseHash('#/productions').screen).toBe('productions');
    expect(parseHash('#/nonsense').screen).toBe('search');
  });
});

import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/App.tsx';
import { Timeline } from '../../renderer/src/components/Timeline.tsx';
import { createAppStore } from '../../renderer/src/store/index.ts';
import { StoreProvider } from '../../renderer/src/store/context.tsx';
import { fakeApi, hit, message, type FakeApi } from './fake-api.ts';
import type { Route } from '../../renderer/src/lib/route.ts';
import type { Settings } from '../../preload/contract.ts';

beforeAll(() => {
  // jsdom has no layout: give every element a viewport-sized box so the virtualizers render rows.
  Element.prototype.getBoundingClientRect = function () {
    return { x: 0, y: 0, top: 0, left: 0, bottom: 800, right: 1200, width: 1200, height: 800, toJSON() {} } as DOMRect;
  };
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => 800 });
  Object.defineProperty(HTMLElement.prototype, 'offsetWidth', { configurable: true, get: () => 1200 });
  Object.defineProperty(Element.prototype, 'clientHeight', { configurable: true, get: () => 800 });
  Object.defineProperty(Element.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
  Element.prototype.scrollTo = function () {} as never;
});
afterEach(() => cleanup());

async function mount(api: FakeApi, route?: Route) {
  const store = createAppStore(api);
  await store.getState().init();
  if (route) store.setState({ route });
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return store;
}

describe('shell', () => {
  it('has a main navigation with room for later sections', async () => {
    await mount(fakeApi());
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const name of ['Search', 'Conversations', 'Collect', 'Jobs', 'Profiles', 'Settings']) {
      expect(within(nav).getByRole('link', { name: new RegExp(`^${name}`) })).toBeTruthy();
    }
    for (const later of ['Backups', 'Matters & holds', 'Productions', 'Audit log']) {
      expect(within(nav).getByRole('link', { name: new RegExp(later) }).textContent).toContain('soon');
    }
    expect(within(nav).getByRole('link', { name: 'Search' }).getAttribute('aria-current')).toBe('page');
    fireEvent.click(within(nav).getByRole('link', { name: /Productions/ }));
    expect(screen.getByRole('heading', { level: 1, name: 'Productions' })).toBeTruthy();
  });

  it('applies the theme from settings', async () => {
    await mount(fakeApi({ 'settings.get': () => ({ data_dir: '/d', time_zone: 'UTC', theme: 'dark', start_at_login: false }) }));
    expect(document.documentElement.dataset.theme).toBe('dark');
  });
});

describe('settings screen', () => {
  const desktop = () => ({ version: '0.1.0', host: 'electron' as const, platform: 'linux-x64', data_dir: '/data', sandbox_available: false, features: [] });

  it('toggles start at login through settings.update in the desktop app', async () => {
    let saved: Settings = { data_dir: '/data', time_zone: 'UTC', theme: 'light', start_at_login: false };
    const api = fakeApi({
      'app.info': desktop,
      'settings.get': () => saved,
      'settings.update': (patch) => (saved = { ...saved, ...patch }),
    });
    const store = await mount(api, { screen: 'settings' });
    const box = screen.getByRole('checkbox', { name: 'Start Archivist when I log in' }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(box.disabled).toBe(false);
    expect(screen.queryByText(/Desktop app only/)).toBeNull();
    await userEvent.setup().click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    expect(api.calls.filter((c) => c.op === 'settings.update').map((c) => c.input)).toEqual([{ start_at_login: true }]);
    expect(store.getState().settings?.start_at_login).toBe(true);
  });

  it('says the toggle is desktop-only in browser mode', async () => {
    const api = fakeApi();
    await mount(api, { screen: 'settings' });
    const box = screen.getByRole('checkbox', { name: 'Start Archivist when I log in' }) as HTMLInputElement;
    expect(box.disabled).toBe(true);
    expect(box.getAttribute('aria-describedby')).toBe('start-at-login-note');
    expect(screen.getByText(/Desktop app only/)).toBeTruthy();
    await userEvent.setup().click(box);
    expect(api.calls.some((c) => c.op === 'settings.update')).toBe(false);
  });
});

describe('search screen', () => {
  it('shows results with highlights as text, never as HTML', async () => {
    const api = fakeApi({
      'archive.search': () => ({
        total: 2,
        took_ms: 3,
        hits: [hit(1), hit(2, { snippet: '&lt;img src=x onerror=alert(1)&gt; <mark>contract</mark>', deleted: true })],
        next_cursor: null,
      }),
      'archive.facets': () => ({ channels: [{ key: 'team:general', label: 'General', count: 2 }], users: [], months: [] }),
    });
    const store = await mount(api);
    const user = userEvent.setup();
    await user.type(screen.getByRole('combobox', { name: 'Search the archive' }), 'contract');
    await screen.findByText('2 results · 3 ms');
    const results = screen.getByRole('list', { name: 'Search results' });
    expect(within(results).getAllByRole('listitem')).toHaveLength(2);
    expect(results.querySelectorAll('mark')).toHaveLength(2);
    expect(results.querySelector('img')).toBeNull();
    expect(results.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(within(results).getByText('deleted')).toBeTruthy();
    await screen.findByText('General', { selector: '.facet-label' });
    fireEvent.click(screen.getByText('General', { selector: '.facet-label' }).closest('button')!);
    await waitFor(() => expect(store.getState().query).toBe('contract in:team:general'));
    fireEvent.click(within(results).getAllByRole('button')[0]);
    expect(store.getState().route).toEqual({ screen: 'conversation', cid: 'team:general', message: 'm1' });
  });

  it('offers syntax help and completion with the keyboard', async () => {
    const api = fakeApi({
      'archive.users': () => [{ id: 'alice', name: 'Alice Martin', role: null }],
      'archive.search': () => ({ total: 0, took_ms: 1, hits: [], next_cursor: null }),
    });
    const store = await mount(api);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Syntax' }));
    expect(screen.getByRole('note', { name: 'Search syntax' }).textContent).toContain('from:alice');
    const box = screen.getByRole('combobox', { name: 'Search the archive' });
    await user.type(box, 'from:al');
    const option = await screen.findByRole('option', { name: /Alice Martin/ });
    expect(option.getAttribute('aria-selected')).toBe('true');
    expect(box.getAttribute('aria-expanded')).toBe('true');
    await user.keyboard('{Enter}');
    expect(store.getState().query).toBe('from:alice ');
  });

  it('explains a query syntax error', async () => {
    const api = fakeApi();
    api.on('archive.search', () => {
      throw Object.assign(new Error('A quote is not closed.'), { code: 'query_syntax' });
    });
    await mount(api);
    await userEvent.setup().type(screen.getByRole('combobox', { name: 'Search the archive' }), '"abc');
    expect((await screen.findByRole('alert')).textContent).toContain('Check the query: A quote is not closed.');
  });
});

describe('conversation screen', () => {
  it('shows the timeline with day separators, markers, reactions, attachment metadata and threads', async () => {
    const messages = [
      message(1, { reply_count: 2, reactions: [{ type: 'like', count: 3, user_ids: ['a', 'b', 'c'] }] }),
      message(2, { edited: true, versions: 2, updated_at: '2024-01-01T03:00:00Z' }),
      message(30, { deleted_at: '2024-01-03T00:00:00Z', type: 'deleted', text: 'kept for evidence' }),
      message(31, { attachments: [{ type: 'file', title: 'deal.pdf', url: 'https://cdn.example/deal.pdf', mime_type: 'application/pdf', file_size: 2048 }] }),
    ];
    const api = fakeApi({
      'archive.context': () => ({ cid: 'team:general', channel_name: 'General', channel_label: 'General', anchor: 'm2', messages, has_more_before: false, has_more_after: false }),
      'archive.thread': () => ({ parent: messages[0], replies: [message(5, { parent_id: 'm1', text: 'a reply' })] }),
      'archive.versions': () => [
        { version: 1, text: 'the first wording', updated_at: '2024-01-01T01:00:00Z', deleted: false },
        { version: 2, text: 'message number 2', updated_at: '2024-01-01T03:00:00Z', deleted: false },
      ],
    });
    await mount(api, { screen: 'conversation', message: 'm2' });
    const timeline = await screen.findByRole('list', { name: 'Messages in General' });
    expect(within(timeline).getAllByRole('separator').map((s) => s.getAttribute('aria-label'))).toEqual([
      'Monday, January 1, 2024',
      'Tuesday, January 2, 2024',
    ]);
    expect(timeline.querySelector('.message-hit')?.getAttribute('data-message-id')).toBe('m2');
    expect(within(timeline).getByLabelText('like reaction, 3')).toBeTruthy();
    expect(within(timeline).getByText(/deleted Jan/)).toBeTruthy();
    expect(within(timeline).getByText('kept for evidence')).toBeTruthy();
    // Attachment metadata is shown; the remote file is not fetched (no img, no link to it).
    expect(within(timeline).getByText('deal.pdf')).toBeTruthy();
    expect(within(timeline).getByText('https://cdn.example/deal.pdf').tagName).toBe('CODE');
    expect(timeline.querySelector('img')).toBeNull();
    expect(timeline.querySelector('a[href^="https:"]')).toBeNull();
    // Stable link per message.
    expect(within(timeline).getAllByRole('link', { name: 'Link to this message' })[0].getAttribute('href')).toBe('#/m/m1');
    // Earlier versions.
    fireEvent.click(within(timeline).getByRole('button', { name: /edited · 2 versions/ }));
    expect(await within(timeline).findByText('the first wording')).toBeTruthy();
    // Thread panel.
    fireEvent.click(within(timeline).getByRole('button', { name: '2 replies' }));
    const thread = await screen.findByRole('complementary', { name: 'Thread' });
    expect(await within(thread).findByText('a reply')).toBeTruthy();
    fireEvent.click(within(thread).getByRole('button', { name: 'Close thread' }));
    expect(screen.queryByRole('complementary', { name: 'Thread' })).toBeNull();
  });

  it('keeps a bounded number of rows in the DOM for a long conversation', () => {
    const messages = Array.from({ length: 20_000 }, (_, i) => message(i));
    const store = createAppStore(fakeApi());
    render(
      <StoreProvider store={store}>
        <Timeline label="Long" messages={messages} zone="UTC" />
      </StoreProvider>,
    );
    const rows = within(screen.getByRole('list', { name: 'Long' })).getAllByRole('listitem');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
  });
});

describe('jobs, collect and profiles screens', () => {
  it('shows job errors with their remedy, evidence hashes, and retries', async () => {
    const api = fakeApi({
      'collections.list': () => [
        {
          id: 'c1', kind: 'channels', profile_id: 'p1', label: 'Deal channels', request: { kind: 'channels', profile_id: 'p1', channels: { cids: ['team:a', 'team:b'] } },
          state: 'incomplete', summary: '1 channel missing', error: null,
          totals: { jobs: 2, by_state: { done: 1, failed: 1 }, targets: 2, bytes_downloaded: 4096, lines_imported: 10, messages_imported: 8, rejected_lines: 0 },
          jobs: [
            { id: 'j1', collection_id: 'c1', seq: 1, kind: 'channels', targets: ['team:a'], state: 'done', step: null, error: null, task_id: 't1', task_attempts: 1, download_attempts: 1, bytes_downloaded: 4096, total_bytes: 4096, evidence_sha256: 'ab'.repeat(32), imported: { lines: 10, messages: 8, new_messages: 8, rejected: 0 }, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: '2024-01-01T00:00:00Z' },
            { id: 'j2', collection_id: 'c1', seq: 2, kind: 'channels', targets: ['team:b'], state: 'failed', step: 'downloading', error: { step: 'downloading', code: 'disk_full', message: 'The disk is full.' }, task_id: 't2', task_attempts: 1, download_attempts: 1, bytes_downloaded: 0, total_bytes: null, evidence_sha256: null, imported: null, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: null },
          ],
          created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: '2024-01-01T00:00:00Z',
        },
      ],
      'jobs.retry': () => [],
    });
    await mount(api, { screen: 'jobs' });
    const card = await screen.findByRole('article', { name: /Deal channels/ });
    expect(within(card).getByText(/The disk is full/)).toBeTruthy();
    expect(within(card).getByText(/Free disk space/)).toBeTruthy();
    expect(within(card).getByTitle('ab'.repeat(32))).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(api.calls.some((c) => c.op === 'jobs.retry' && c.input.id === 'j2')).toBe(true));
  });

  it('browses channels with paging and multi-select, then queues', async () => {
    const page = (offset: number) => ({
      channels: Array.from({ length: 30 }, (_, i) => ({ cid: `team:c${offset + i}`, type: 'team', id: `c${offset + i}`, name: `Channel ${offset + i}`, member_count: 3, created_at: null, last_message_at: null })),
      offset,
      has_more: offset === 0,
    });
    const api = fakeApi({
      'profiles.list': () => [{ id: 'p1', name: 'Sandbox', api_key: 'k', base_url: 'http://x', sandbox: true, created_at: '', updated_at: '', last_connected_at: null, has_secret: false }],
      'stream.channels': (q) => page(q.offset ?? 0),
      'collections.create': (r) => ({
        id: 'c9', kind: 'channels', profile_id: 'p1', label: null, request: r, state: 'running', summary: null, error: null,
        totals: { jobs: 2, by_state: { queued: 2 }, targets: 31, bytes_downloaded: 0, lines_imported: 0, messages_imported: 0, rejected_lines: 0 },
        jobs: [], created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', finished_at: null,
      }),
    });
    const store = await mount(api, { screen: 'collect' });
    const table = await screen.findByRole('table', { name: 'Channels in the Stream app' });
    await within(table).findByText('Channel 0');
    fireEvent.click(within(table).getByRole('checkbox', { name: 'Select all channels on this page' }));
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await within(table).findByText('Channel 30');
    fireEvent.click(within(table).getByRole('checkbox', { name: 'Select Channel 31' }));
    expect(screen.getByRole('complementary', { name: 'Selection' }).textContent).toContain('31 channels selected');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Collect 31' }));
    });
    const create = api.calls.find((c) => c.op === 'collections.create')!;
    expect(create.input.channels.cids).toHaveLength(31);
    expect(store.getState().route.screen).toBe('jobs');
  });

  it('adds a profile without keeping the secret in the page', async () => {
    const api = fakeApi({
      'profiles.add': (p) => ({ id: 'p1', name: p.name, api_key: p.api_key, base_url: 'https://chat.stream-io-api.com', sandbox: false, created_at: '', updated_at: '', last_connected_at: null, has_secret: true }),
    });
    await mount(api, { screen: 'profiles' });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'Acme');
    await user.type(screen.getByLabelText('API key'), 'key123');
    await user.type(screen.getByLabelText('API secret'), 'S3CRET');
    await user.click(screen.getByRole('button', { name: 'Add profile' }));
    expect(await screen.findByRole('heading', { name: /Acme/ })).toBeTruthy();
    expect((screen.getByLabelText('API secret') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain('S3CRET');
  });
});

import { useEffect, useState } from 'react';
import { useApp } from '../store/context.tsx';
import { CHANNEL_PAGE } from '../store/collect.ts';
import { formatCount, formatDateTime } from '../lib/time.ts';

function ChannelBrowser() {
  const page = useApp((s) => s.channelPage);
  const offset = useApp((s) => s.channelOffset);
  const hasMore = useApp((s) => s.channelHasMore);
  const loading = useApp((s) => s.channelsLoading);
  const selected = useApp((s) => s.selectedChannels);
  const browse = useApp((s) => s.browseChannels);
  const toggle = useApp((s) => s.toggleChannel);
  const setPageSelected = useApp((s) => s.setPageSelected);
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const [query, setQuery] = useState(useApp((s) => s.channelQuery));
  const [type, setType] = useState(useApp((s) => s.channelType));
  const allOnPage = page.length > 0 && page.every((c) => selected[c.cid]);
  return (
    <div className="browser">
      <form
        className="filter-bar"
        role="search"
        aria-label="Find channels"
        onSubmit={(e) => {
          e.preventDefault();
          void browse({ query, type, offset: 0 });
        }}
      >
        <label>
          Name or id
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="e.g. deals" />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Any</option>
            <option value="messaging">messaging</option>
            <option value="team">team</option>
            <option value="livestream">livestream</option>
            <option value="commerce">commerce</option>
            <option value="gaming">gaming</option>
          </select>
        </label>
        <button type="submit" className="secondary">
          Find
        </button>
      </form>
      <table className="grid" aria-label="Channels in the Stream app" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col" className="check">
              <input type="checkbox" aria-label="Select all channels on this page" checked={allOnPage} onChange={(e) => setPageSelected(e.target.checked)} />
            </th>
            <th scope="col">Channel</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Members
            </th>
            <th scope="col">Last message</th>
          </tr>
        </thead>
        <tbody>
          {page.map((c) => (
            <tr key={c.cid} className={selected[c.cid] ? 'selected' : undefined}>
              <td className="check">
                <input type="checkbox" aria-label={`Select ${c.name ?? c.cid}`} checked={Boolean(selected[c.cid])} onChange={() => toggle(c)} />
              </td>
              <td>
                <span className="channel-name">{c.name ?? c.id}</span> <code className="muted">{c.cid}</code>
              </td>
              <td>{c.type}</td>
              <td className="num">{formatCount(c.member_count)}</td>
              <td>{formatDateTime(c.last_message_at, zone)}</td>
            </tr>
          ))}
          {!loading && page.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No channels match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" className="secondary" disabled={offset === 0 || loading} onClick={() => void browse({ offset: Math.max(0, offset - CHANNEL_PAGE) })}>
          Previous
        </button>
        <span className="muted">
          {page.length ? `${offset + 1}–${offset + page.length}` : '0'}
        </span>
        <button type="button" className="secondary" disabled={!hasMore || loading} onClick={() => void browse({ offset: offset + CHANNEL_PAGE })}>
          Next
        </button>
      </div>
    </div>
  );
}

function UserBrowser() {
  const page = useApp((s) => s.userPage);
  const offset = useApp((s) => s.userOffset);
  const hasMore = useApp((s) => s.userHasMore);
  const loading = useApp((s) => s.usersLoading);
  const selected = useApp((s) => s.selectedUsers);
  const browse = useApp((s) => s.browseUsers);
  const toggle = useApp((s) => s.toggleUser);
  const [query, setQuery] = useState('');
  return (
    <div className="browser">
      <form
        className="filter-bar"
        role="search"
        aria-label="Find users"
        onSubmit={(e) => {
          e.preventDefault();
          void browse({ query, offset: 0 });
        }}
      >
        <label>
          Name or id
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <button type="submit" className="secondary">
          Find
        </button>
      </form>
      <p className="muted small">Stream exports at most 10,000 messages per user; use channel collections for complete history.</p>
      <table className="grid" aria-label="Users in the Stream app" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col" className="check">
              <span className="visually-hidden">Selected</span>
            </th>
            <th scope="col">User</th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {page.map((u) => (
            <tr key={u.id} className={selected[u.id] ? 'selected' : undefined}>
              <td className="check">
                <input type="checkbox" aria-label={`Select ${u.name ?? u.id}`} checked={Boolean(selected[u.id])} onChange={() => toggle(u)} />
              </td>
              <td>
                {u.name ?? u.id} <code className="muted">{u.id}</code>
              </td>
              <td>{u.role ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" className="secondary" disabled={offset === 0 || loading} onClick={() => void browse({ offset: Math.max(0, offset - CHANNEL_PAGE) })}>
          Previous
        </button>
        <button type="button" className="secondary" disabled={!hasMore || loading} onClick={() => void browse({ offset: offset + CHANNEL_PAGE })}>
          Next
        </button>
      </div>
    </div>
  );
}

function Options() {
  const o = useApp((s) => s.collectOptions);
  const set = useApp((s) => s.setCollectOptions);
  return (
    <fieldset className="options">
      <legend>Options</legend>
      <label>
        From
        <input type="date" value={o.since} onChange={(e) => set({ since: e.target.value })} />
      </label>
      <label>
        Until
        <input type="date" value={o.until} onChange={(e) => set({ until: e.target.value })} />
      </label>
      <label className="check-label">
        <input type="checkbox" checked={o.include_truncated_messages} onChange={(e) => set({ include_truncated_messages: e.target.checked })} />
        Include truncated messages
      </label>
      <label className="check-label">
        <input type="checkbox" checked={o.include_soft_deleted_channels} onChange={(e) => set({ include_soft_deleted_channels: e.target.checked })} />
        Include soft-deleted channels
      </label>
      <label>
        File format
        <select value={o.format} onChange={(e) => set({ format: e.target.value as 'v1' | 'v2' })}>
          <option value="v2">v2 — line-separated JSON (recommended)</option>
          <option value="v1">v1 — single JSON document</option>
        </select>
      </label>
    </fieldset>
  );
}

export function CollectScreen() {
  const profiles = useApp((s) => s.profiles);
  const profileId = useApp((s) => s.collectProfileId);
  const setProfile = useApp((s) => s.setCollectProfile);
  const mode = useApp((s) => s.collectMode);
  const setMode = useApp((s) => s.setCollectMode);
  const browseChannels = useApp((s) => s.browseChannels);
  const browseUsers = useApp((s) => s.browseUsers);
  const loadProfiles = useApp((s) => s.loadProfiles);
  const selectedChannels = useApp((s) => s.selectedChannels);
  const selectedUsers = useApp((s) => s.selectedUsers);
  const clear = useApp((s) => s.clearSelection);
  const queue = useApp((s) => s.queueCollection);
  const queueing = useApp((s) => s.queueing);
  const error = useApp((s) => s.collectError);
  const navigate = useApp((s) => s.navigate);

  useEffect(() => {
    void loadProfiles();
  }, [loadProfiles]);
  useEffect(() => {
    if (!profileId && profiles.length) setProfile(profiles[0].id);
  }, [profileId, profiles, setProfile]);
  useEffect(() => {
    if (!profileId) return;
    if (mode === 'channels') void browseChannels({ offset: 0 });
    else void browseUsers({ offset: 0 });
  }, [profileId, mode, browseChannels, browseUsers]);

  const chosen = mode === 'channels' ? Object.values(selectedChannels).map((c) => c.name ?? c.cid) : Object.values(selectedUsers).map((u) => u.name ?? u.id);

  if (profiles.length === 0) {
    return (
      <section className="screen" aria-labelledby="collect-title">
        <header className="screen-head">
          <h1 id="collect-title">Collect</h1>
        </header>
        <p className="empty">
          Add a profile (or open the sandbox workspace) to collect from a Stream app.{' '}
          <button type="button" className="link-button" onClick={() => navigate({ screen: 'welcome' })}>
            Get started
          </button>
        </p>
      </section>
    );
  }

  return (
    <section className="screen collect-screen" aria-labelledby="collect-title">
      <header className="screen-head row">
        <div>
          <h1 id="collect-title">Collect</h1>
          <p className="muted">Choose what to export from Stream. Each request covers up to 25 channels or users; Archivist splits and tracks them.</p>
        </div>
        <label className="inline-field">
          Profile
          <select value={profileId ?? ''} onChange={(e) => setProfile(e.target.value)}>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      <div className="tabs" role="tablist" aria-label="What to collect">
        {(['channels', 'users'] as const).map((m) => (
          <button key={m} type="button" role="tab" id={`tab-${m}`} aria-selected={mode === m} aria-controls="collect-panel" onClick={() => setMode(m)}>
            {m === 'channels' ? 'Channels' : 'Users'}
          </button>
        ))}
      </div>
      {error && (
        <div className="callout callout-error" role="alert">
          {error.message}
        </div>
      )}
      <div className="collect-body" id="collect-panel" role="tabpanel" aria-labelledby={`tab-${mode}`}>
        {mode === 'channels' ? <ChannelBrowser /> : <UserBrowser />}
        <aside className="queue-panel" aria-label="Selection">
          <h2>Selection</h2>
          <p>
            <strong>{chosen.length}</strong> {mode === 'channels' ? (chosen.length === 1 ? 'channel' : 'channels') : chosen.length === 1 ? 'user' : 'users'} selected
          </p>
          {chosen.length > 0 && (
            <ul className="chips" aria-label="Selected">
              {chosen.slice(0, 40).map((n) => (
                <li key={n}>{n}</li>
              ))}
              {chosen.length > 40 && <li>+{chosen.length - 40} more</li>}
            </ul>
          )}
          {mode === 'channels' && <Options />}
          <div className="actions">
            <button type="button" className="primary" disabled={chosen.length === 0 || queueing} onClick={() => void queue()}>
              {queueing ? 'Queueing…' : `Collect ${chosen.length || ''}`.trim()}
            </button>
            <button type="button" className="secondary" disabled={chosen.length === 0} onClick={clear}>
              Clear
            </button>
          </div>
        </aside>
      </div>
    </section>
  );
}

import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useApp } from '../store/context.tsx';
import { Timeline } from '../components/Timeline.tsx';
import { Message } from '../components/Message.tsx';
import { formatCount, formatDateTime } from '../lib/time.ts';

function ChannelList() {
  const channels = useApp((s) => s.archivedChannels);
  const query = useApp((s) => s.archivedChannelsQuery);
  const load = useApp((s) => s.loadArchivedChannels);
  const cid = useApp((s) => s.convCid);
  const navigate = useApp((s) => s.navigate);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <nav className="channel-list" aria-label="Archived channels">
      <label className="visually-hidden" htmlFor="channel-filter">
        Filter channels
      </label>
      <input id="channel-filter" type="search" placeholder="Filter channels" value={query} onChange={(e) => void load(e.target.value)} />
      <ul>
        {channels.map((c) => (
          <li key={c.cid}>
            <a
              href={`#/conversation/${encodeURIComponent(c.cid)}`}
              aria-current={c.cid === cid ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate({ screen: 'conversation', cid: c.cid });
              }}
            >
              <span className="channel-name" title={c.label === c.cid ? c.cid : `${c.label} (${c.cid})`}>{c.label}</span>
              <span className="count" aria-label={`${c.messages} messages`}>
                {formatCount(c.messages)}
              </span>
            </a>
          </li>
        ))}
        {channels.length === 0 && <li className="muted empty-small">No archived channels{query ? ' match' : ' yet'}.</li>}
      </ul>
    </nav>
  );
}

function ThreadPanel() {
  const thread = useApp((s) => s.thread);
  const loading = useApp((s) => s.threadLoading);
  const error = useApp((s) => s.threadError);
  const close = useApp((s) => s.closeThread);
  const anchorId = useApp((s) => s.anchorId);
  if (!thread && !loading && !error) return null;
  return (
    <aside className="thread-panel" aria-label="Thread">
      <header className="panel-head">
        <h2>Thread</h2>
        <button type="button" className="icon-button" onClick={close} aria-label="Close thread">
          ✕
        </button>
      </header>
      {loading && !thread && <p className="muted">Loading thread…</p>}
      {error && <p className="error-text">{error.message}</p>}
      {thread && (
        <div className="thread-body">
          <Message message={thread.parent} highlighted={thread.parent.message_id === anchorId} />
          <p className="thread-count muted">
            {thread.replies.length} {thread.replies.length === 1 ? 'reply' : 'replies'}
          </p>
          <ol className="thread-replies" aria-label="Replies">
            {thread.replies.map((r) => (
              <li key={r.message_id}>
                <Message message={r} highlighted={r.message_id === anchorId} />
              </li>
            ))}
          </ol>
        </div>
      )}
    </aside>
  );
}

export function ConversationScreen() {
  const route = useApp((s) => s.route);
  const s = useApp(
    useShallow((st) => ({
    cid: st.convCid,
    name: st.convName,
    messages: st.messages,
    anchorId: st.anchorId,
    hasMoreBefore: st.hasMoreBefore,
    hasMoreAfter: st.hasMoreAfter,
    loading: st.convLoading,
    error: st.convError,
    prepended: st.prepended.seq,
    })),
  );
  const zone = useApp((st) => st.settings?.time_zone ?? 'local');
  const openMessage = useApp((st) => st.openMessage);
  const openChannel = useApp((st) => st.openChannel);
  const loadOlder = useApp((st) => st.loadOlder);
  const loadNewer = useApp((st) => st.loadNewer);
  const openThread = useApp((st) => st.openThread);

  useEffect(() => {
    if (route.message) void openMessage(route.message);
    else if (route.cid) void openChannel(route.cid);
  }, [route.message, route.cid, openMessage, openChannel]);

  const first = s.messages[0];
  const last = s.messages[s.messages.length - 1];
  return (
    <section className="screen conversation-screen" aria-labelledby="conv-title">
      <ChannelList />
      <div className="conversation-main">
        <header className="screen-head">
          <h1 id="conv-title">{s.cid ? (s.name ?? s.cid) : 'Conversations'}</h1>
          {s.cid && (
            <p className="muted">
              <code>{s.cid}</code>
              {first && last && ` · ${formatDateTime(first.created_at, zone)} – ${formatDateTime(last.created_at, zone)}`}
            </p>
          )}
        </header>
        {s.error && (
          <div className="callout callout-error" role="alert">
            {s.error.message}
          </div>
        )}
        {!s.cid && !s.loading && <p className="empty">Pick a channel, or open a search result to read it in context.</p>}
        {s.loading && s.messages.length === 0 && (
          <p className="muted" role="status">
            Loading conversation…
          </p>
        )}
        {s.cid && s.messages.length > 0 && (
          <Timeline
            key={s.cid}
            label={`Messages in ${s.name ?? s.cid}`}
            messages={s.messages}
            zone={zone}
            anchorId={s.anchorId}
            hasMoreBefore={s.hasMoreBefore}
            hasMoreAfter={s.hasMoreAfter}
            prependedSeq={s.prepended}
            onLoadOlder={loadOlder}
            onLoadNewer={loadNewer}
            onOpenThread={openThread}
          />
        )}
      </div>
      <ThreadPanel />
    </section>
  );
}

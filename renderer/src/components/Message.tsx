import { memo, useState } from 'react';
import type { AttachmentView, MessageView } from '../../../preload/contract.ts';
import { useApp } from '../store/context.tsx';
import { formatBytes, formatDateTime, formatTime } from '../lib/time.ts';
import { messageLink } from '../lib/route.ts';

function Attachment({ a }: { a: AttachmentView }) {
  // Metadata only: attachment URLs point at Stream's CDN and are never fetched unless asked.
  return (
    <li className="attachment">
      <span className="attachment-type">{a.type ?? 'file'}</span>
      <span className="attachment-title">{a.title ?? '(untitled)'}</span>
      {a.mime_type && <span className="muted">{a.mime_type}</span>}
      {a.file_size != null && <span className="muted">{formatBytes(a.file_size)}</span>}
      {a.url && (
        <code className="attachment-url" title="Not downloaded: remote content is never fetched automatically">
          {a.url}
        </code>
      )}
    </li>
  );
}

function Versions({ message }: { message: MessageView }) {
  const versions = useApp((s) => s.versions[message.message_id]);
  const loadVersions = useApp((s) => s.loadVersions);
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const [open, setOpen] = useState(false);
  const toggle = () => {
    if (!open && !versions) void loadVersions(message.message_id);
    setOpen(!open);
  };
  return (
    <>
      <button type="button" className="marker marker-edited" aria-expanded={open} onClick={toggle}>
        edited{message.versions > 1 ? ` · ${message.versions} versions` : ''}
      </button>
      {open && (
        <div className="versions" role="region" aria-label="Earlier versions">
          {!versions && <p className="muted">Loading versions…</p>}
          {versions && 'code' in versions && <p className="error-text">{versions.message}</p>}
          {Array.isArray(versions) && (
            <ol>
              {versions.map((v) => (
                <li key={v.version}>
                  <span className="muted">
                    v{v.version} · {formatDateTime(v.updated_at, zone)}
                    {v.deleted ? ' · deleted' : ''}
                  </span>
                  <p className="message-text">{v.text || <em>(empty)</em>}</p>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </>
  );
}

export interface MessageProps {
  message: MessageView;
  highlighted?: boolean;
  compact?: boolean;
  onOpenThread?: (id: string) => void;
}

export const Message = memo(function Message({ message: m, highlighted, onOpenThread }: MessageProps) {
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const deleted = Boolean(m.deleted_at) || m.type === 'deleted';
  return (
    <article
      className={`message${highlighted ? ' message-hit' : ''}${deleted ? ' message-deleted' : ''}${m.type === 'system' ? ' message-system' : ''}`}
      aria-label={`${m.user_name ?? m.user_id ?? 'unknown'} at ${formatDateTime(m.created_at, zone)}`}
      data-message-id={m.message_id}
    >
      <header className="message-head">
        <span className="author">{m.user_name ?? m.user_id ?? 'unknown user'}</span>
        {m.user_name && m.user_id && <span className="muted user-id">@{m.user_id}</span>}
        <time dateTime={m.created_at} title={formatDateTime(m.created_at, zone)}>
          {formatTime(m.created_at, zone)}
        </time>
        {m.pinned && <span className="marker marker-pinned">pinned</span>}
        {m.edited && <Versions message={m} />}
        {deleted && <span className="marker marker-deleted">deleted {m.deleted_at ? formatDateTime(m.deleted_at, zone) : ''}</span>}
        <a className="permalink" href={messageLink(m.message_id)} aria-label="Link to this message">
          #
        </a>
      </header>
      <p className="message-text">{m.text || (deleted ? <em className="muted">(text removed)</em> : null)}</p>
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {m.attachments.map((a, i) => (
            <Attachment key={i} a={a} />
          ))}
        </ul>
      )}
      {(m.reactions.length > 0 || (m.reply_count > 0 && onOpenThread)) && (
        <footer className="message-foot">
          {m.reactions.map((r) => (
            <span key={r.type} className="reaction" title={r.user_ids.join(', ')} aria-label={`${r.type} reaction, ${r.count}`}>
              {r.type} <b>{r.count}</b>
            </span>
          ))}
          {m.reply_count > 0 && onOpenThread && (
            <button type="button" className="link-button" onClick={() => onOpenThread(m.message_id)}>
              {m.reply_count} {m.reply_count === 1 ? 'reply' : 'replies'}
            </button>
          )}
        </footer>
      )}
    </article>
  );
});

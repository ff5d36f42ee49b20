import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { MessageView } from '../../../preload/contract.ts';
import { dayKey, formatDay } from '../lib/time.ts';
import { Message } from './Message.tsx';

type Row = { kind: 'day'; key: string; label: string } | { kind: 'msg'; key: string; m: MessageView };

export function buildRows(messages: MessageView[], zone: string): Row[] {
  const rows: Row[] = [];
  let last = '';
  for (const m of messages) {
    const k = dayKey(m.created_at, zone);
    if (k !== last) {
      rows.push({ kind: 'day', key: `day-${k}-${m.message_id}`, label: formatDay(m.created_at, zone) });
      last = k;
    }
    rows.push({ kind: 'msg', key: m.message_id, m });
  }
  return rows;
}

export interface TimelineProps {
  label: string;
  messages: MessageView[];
  zone: string;
  anchorId?: string | null;
  hasMoreBefore?: boolean;
  hasMoreAfter?: boolean;
  prependedSeq?: number;
  onLoadOlder?: () => void;
  onLoadNewer?: () => void;
  onOpenThread?: (id: string) => void;
}

/**
 * A virtualized message list: only the rows in view (plus a few) are in the DOM, however long the
 * conversation. Pages load as the reader nears either end.
 */
export function Timeline(p: TimelineProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => buildRows(p.messages, p.zone), [p.messages, p.zone]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.kind === 'day' ? 40 : 72),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 6,
    // A first guess of the viewport so the first rows paint before the first measurement.
    initialRect: { width: 800, height: 800 },
  });

  // Keep the reader's place when older messages are added on top.
  const prev = useRef({ seq: p.prependedSeq ?? 0, rows: rows.length, first: 0 });
  useLayoutEffect(() => {
    const seq = p.prependedSeq ?? 0;
    if (seq !== prev.current.seq) {
      const delta = rows.length - prev.current.rows;
      if (delta > 0) virtualizer.scrollToIndex(prev.current.first + delta, { align: 'start' });
    }
    prev.current = { seq, rows: rows.length, first: virtualizer.getVirtualItems()[0]?.index ?? 0 };
  });

  // A channel opens at its newest messages (the archive pages backwards from there).
  useLayoutEffect(() => {
    if (!p.anchorId && rows.length) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, []);

  // Jump to the anchor (a search hit or a linked message) when it changes.
  const anchorIndex = p.anchorId ? rows.findIndex((r) => r.kind === 'msg' && r.m.message_id === p.anchorId) : -1;
  useEffect(() => {
    if (anchorIndex < 0) return;
    virtualizer.scrollToIndex(anchorIndex, { align: 'center' });
    // Rows above are measured as they render; settle on the anchor once they are.
    const raf = requestAnimationFrame(() => requestAnimationFrame(() => virtualizer.scrollToIndex(anchorIndex, { align: 'center' })));
    return () => cancelAnimationFrame(raf);
  }, [p.anchorId, anchorIndex >= 0]);

  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (rows.length === 0) return;
    if (first <= 3 && p.hasMoreBefore) p.onLoadOlder?.();
    if (last >= rows.length - 4 && p.hasMoreAfter) p.onLoadNewer?.();
  });

  return (
    <div ref={scrollRef} className="timeline" tabIndex={0} role="region" aria-label={p.label}>
      <div role="list" aria-label={p.label} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((vi) => {
          const row = rows[vi.index];
          return (
            <div
              key={vi.key}
              data-index={vi.index}
              ref={virtualizer.measureElement}
              role="listitem"
              className={row.kind === 'day' ? 'day-row' : 'msg-row'}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${vi.start}px)` }}
            >
              {row.kind === 'day' ? (
                <div className="day-separator" role="separator" aria-label={row.label}>
                  <span>{row.label}</span>
                </div>
              ) : (
                <Message message={row.m} highlighted={row.m.message_id === p.anchorId} onOpenThread={p.onOpenThread} />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

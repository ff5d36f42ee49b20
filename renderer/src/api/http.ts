import type { AppEvent, ArchivistApi, Outcome } from '../../../preload/contract.ts';

/**
 * Browser mode's api: the same contract over HTTP. The session cookie (HttpOnly, set when the
 * one-time link was opened) authenticates every call; nothing secret lives in page script.
 */
export function createHttpApi(): ArchivistApi {
  const listeners = new Set<(e: AppEvent) => void>();
  let source: EventSource | null = null;
  const connect = () => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource('/api/events');
    source.addEventListener('app', (msg) => {
      const event = JSON.parse((msg as MessageEvent<string>).data) as AppEvent;
      for (const l of listeners) l(event);
    });
  };
  return {
    async call(op, input) {
      try {
        const res = await fetch(`/api/${op}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
        return (await res.json()) as Outcome<never>;
      } catch {
        return { ok: false, error: { code: 'unavailable', message: 'Archivist is not answering. Is browser mode still running?' } };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

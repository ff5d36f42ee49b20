/**
 * Every failure talking to Stream becomes a StreamError with a kind the app can branch on and a
 * message a person can act on. Messages never contain the API secret or the signed token: we
 * build them ourselves from Stream's error text (which carries neither) and scrub defensively.
 */

export type StreamErrorKind =
  | 'bad_key'
  | 'bad_secret'
  | 'suspended'
  | 'unknown_channel'
  | 'rate_limited'
  | 'network'
  | 'server'
  | 'timeout'
  | 'invalid_request'
  | 'not_found';

export class StreamError extends Error {
  kind: StreamErrorKind;
  /** When a retry can succeed (rate limits), ms epoch. */
  retryAt?: number;
  /** HTTP status and Stream error code, when Stream answered. */
  status?: number;
  code?: number | null;
  /** Stream's own message (e.g. `ExportChannels failed with error: "…"`), when it sent one. */
  streamMessage?: string;
  /** The channel Stream does not know (unknown_channel). */
  cid?: string;

  constructor(kind: StreamErrorKind, message: string, extra: Partial<Pick<StreamError, 'retryAt' | 'status' | 'code' | 'streamMessage' | 'cid'>> = {}) {
    super(message);
    this.name = 'StreamError';
    this.kind = kind;
    Object.assign(this, extra);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, message: this.message, retryAt: this.retryAt, status: this.status, code: this.code, cid: this.cid };
  }
}

const RETRYABLE = new Set<StreamErrorKind>(['rate_limited', 'network', 'server', 'timeout']);

export function isRetryable(err: unknown): boolean {
  return err instanceof StreamError && err.retryable;
}

/** "14:05" in local time (what a person reads on their clock). */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}${ms - Date.now() < 60_000 ? `:${String(d.getSeconds()).padStart(2, '0')}` : ''}`;
}

/** Remove anything secret-looking we were told about (secret, JWTs) from a text. */
export function scrub(text: string, secrets: string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g, '[redacted-token]');
}

interface ErrorLike {
  message?: string;
  code?: unknown;
  status?: number;
  response?: { status?: number; data?: unknown; headers?: unknown };
}

function streamDetail(message: string): string {
  // `Op failed with error: "detail"` → detail
  const m = /failed with error: "(.*)"$/s.exec(message);
  return m ? m[1] : message;
}

export interface ErrorContext {
  /** e.g. "export channels" — what we were doing, for the message. */
  action: string;
  baseURL: string;
  timeoutMs: number;
  secrets: string[];
  now?: () => number;
  /** ms epoch at which a 429 may be retried, read from the headers by the caller. */
  retryAt?: number;
}

/** Map anything stream-chat/axios throws to a StreamError. */
export function toStreamError(err: unknown, ctx: ErrorContext): StreamError {
  if (err instanceof StreamError) return err;
  const e = (err ?? {}) as ErrorLike;
  const status = e.response?.status ?? e.status;
  const data = e.response?.data;
  const body = data && typeof data === 'object' ? (data as { code?: unknown; message?: unknown }) : undefined;
  const code = typeof body?.code === 'number' ? body.code : null;
  const sMsg = typeof body?.message === 'string' ? scrub(body.message, ctx.secrets) : undefined;
  const detail = sMsg ? streamDetail(sMsg) : undefined;
  const extra = { status, code, streamMessage: sMsg };
  const now = ctx.now ?? Date.now;

  if (status !== undefined && status > 0) {
    if (status === 429 || code === 9) {
      const at = ctx.retryAt && ctx.retryAt > now() ? ctx.retryAt : now() + 1000;
      return new StreamError('rate_limited', `Rate limited by Stream while trying to ${ctx.action} — retrying at ${clockTime(at)}.`, { ...extra, retryAt: at });
    }
    if (detail && /Can't find channel with id/.test(detail)) {
      const cid = /Can't find channel with id "?([^\s"]+)"?/.exec(detail)?.[1];
      return new StreamError(
        'unknown_channel',
        `Stream has no channel ${cid ?? '?'}: "Can't find channel with id ${cid ?? '?'}". It may have been deleted or the id is mistyped; leave it out and export the others.`,
        { ...extra, cid },
      );
    }
    if (detail && /Can't find task with id/.test(detail)) {
      return new StreamError('not_found', `Stream no longer knows this export task (${detail}). Exports are kept 60 days; request a new export.`, extra);
    }
    if (status === 401 || code === 2 || code === 43 || code === 40 || code === 41 || code === 42) {
      if (code === 2) return new StreamError('bad_key', 'Stream rejected the API key. Check the key in this profile against the Stream dashboard (Chat → Overview → App Access Keys).', extra);
      if (code === 43) {
        return new StreamError('bad_secret', 'Stream rejected the API secret: it does not belong to this API key. Copy the secret again from the Stream dashboard (App Access Keys) and save it in this profile.', extra);
      }
      if (code === 40 || code === 41 || code === 42) {
        return new StreamError('bad_secret', `Stream refused the server token (${detail ?? 'token time check failed'}). Check this computer's date and time, then the API secret.`, extra);
      }
      return new StreamError('bad_secret', `Stream did not accept this profile's credentials (${detail ?? `HTTP ${status}`}). Check the API key and secret.`, extra);
    }
    if (code === 99) return new StreamError('suspended', 'This Stream app is suspended. Ask the app owner to check billing or contact Stream support; nothing can be exported until it is reactivated.', extra);
    if (status === 403) return new StreamError('invalid_request', `Stream refused to ${ctx.action}: ${detail ?? 'not allowed'}. Server-side access with the app's secret is required.`, extra);
    if (status === 408 || code === 23) return new StreamError('timeout', `Stream timed out while trying to ${ctx.action}; retrying.`, extra);
    if (status >= 500) return new StreamError('server', `Stream had a server error (HTTP ${status}) while trying to ${ctx.action}; retrying.`, extra);
    if (status === 404) return new StreamError('not_found', `Stream has no such resource (${detail ?? `HTTP 404`}) while trying to ${ctx.action}.`, extra);
    return new StreamError('invalid_request', `Stream refused to ${ctx.action}: ${detail ?? `HTTP ${status}`}.`, extra);
  }

  // No HTTP answer: network or timeout.
  const sysCode = typeof e.code === 'string' ? e.code : '';
  const msg = scrub(String(e.message ?? err), ctx.secrets);
  if (sysCode === 'ECONNABORTED' || sysCode === 'ETIMEDOUT' || /timeout of \d+ms exceeded/i.test(msg)) {
    return new StreamError('timeout', `Stream did not answer within ${Math.round(ctx.timeoutMs / 1000)} s while trying to ${ctx.action}; retrying.`);
  }
  const host = (() => {
    try {
      return new URL(ctx.baseURL).host;
    } catch {
      return ctx.baseURL;
    }
  })();
  const why = sysCode === 'ECONNREFUSED' ? 'connection refused' : sysCode === 'ENOTFOUND' || sysCode === 'EAI_AGAIN' ? 'host not found' : sysCode === 'ECONNRESET' || /socket hang up/i.test(msg) ? 'connection dropped' : sysCode || msg;
  return new StreamError('network', `Cannot reach Stream at ${host} (${why}) while trying to ${ctx.action}. Check the network connection and the profile's base URL.`);
}

/**
 * Hash routes. Every message has a stable link: `#/m/<message id>` opens it in its conversation.
 * Sections for later issues (backups, matters, audit, productions) already have routes.
 */
export type Screen =
  | 'welcome'
  | 'search'
  | 'conversation'
  | 'collect'
  | 'jobs'
  | 'profiles'
  | 'settings'
  | 'backups'
  | 'matters'
  | 'audit'
  | 'productions';

export interface Route {
  screen: Screen;
  /** conversation: channel cid */
  cid?: string;
  /** conversation: message to open at (stable link) */
  message?: string;
  /** search: query text */
  q?: string;
}

const SCREENS: Screen[] = ['welcome', 'search', 'conversation', 'collect', 'jobs', 'profiles', 'settings', 'backups', 'matters', 'audit', 'productions'];

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = h.split('?');
  const segs = pathPart.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const params = new URLSearchParams(queryPart);
  if (segs[0] === 'm' && segs[1]) return { screen: 'conversation', message: segs[1] };
  if (segs[0] === 'conversation') {
    return { screen: 'conversation', cid: segs[1], message: params.get('m') ?? undefined };
  }
  if (segs[0] === 'search') return { screen: 'search', q: params.get('q') ?? undefined };
  const screen = SCREENS.find((s) => s === segs[0]);
  return { screen: screen ?? 'search' };
}

export function routeToHash(r: Route): string {
  const e = encodeURIComponent;
  switch (r.screen) {
    case 'conversation':
      if (r.message && !r.cid) return `#/m/${e(r.message)}`;
      return `#/conversation/${r.cid ? e(r.cid) : ''}${r.message ? `?m=${e(r.message)}` : ''}`;
    case 'search':
      return r.q ? `#/search?q=${e(r.q)}` : '#/search';
    default:
      return `#/${r.screen}`;
  }
}

export function messageLink(messageId: string): string {
  return `#/m/${encodeURIComponent(messageId)}`;
}

import { useEffect, type ReactNode } from 'react';
import { useApp } from './store/context.tsx';
import type { Screen } from './lib/route.ts';
import { routeToHash } from './lib/route.ts';
import { WelcomeScreen } from './screens/Welcome.tsx';
import { SearchScreen } from './screens/Search.tsx';
import { ConversationScreen } from './screens/Conversation.tsx';
import { CollectScreen } from './screens/Collect.tsx';
import { JobsScreen } from './screens/Jobs.tsx';
import { ProfilesScreen } from './screens/Profiles.tsx';
import { SettingsScreen } from './screens/Settings.tsx';
import { UpcomingScreen } from './screens/Upcoming.tsx';
import { formatCount } from './lib/time.ts';

interface NavItem {
  screen: Screen;
  label: string;
  soon?: boolean;
}

/** Sections. Later issues fill in Backups and the legal group; their places are already here. */
const NAV: { title: string; items: NavItem[] }[] = [
  {
    title: 'Archive',
    items: [
      { screen: 'search', label: 'Search' },
      { screen: 'conversation', label: 'Conversations' },
    ],
  },
  {
    title: 'Collect',
    items: [
      { screen: 'collect', label: 'Collect' },
      { screen: 'jobs', label: 'Jobs' },
      { screen: 'backups', label: 'Backups', soon: true },
    ],
  },
  {
    title: 'Legal',
    items: [
      { screen: 'matters', label: 'Matters & holds', soon: true },
      { screen: 'productions', label: 'Productions', soon: true },
      { screen: 'audit', label: 'Audit log', soon: true },
    ],
  },
  {
    title: 'Workspace',
    items: [
      { screen: 'profiles', label: 'Profiles' },
      { screen: 'settings', label: 'Settings' },
    ],
  },
];

function Sidebar() {
  const route = useApp((s) => s.route);
  const navigate = useApp((s) => s.navigate);
  const running = useApp((s) => s.collections.filter((c) => c.state === 'running' || c.state === 'resolving').length);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand" aria-hidden="true">
        <span className="brand-mark">A</span> Archivist
      </div>
      {NAV.map((group) => (
        <div key={group.title} className="nav-group">
          <h2 className="nav-title">{group.title}</h2>
          <ul>
            {group.items.map((item) => (
              <li key={item.screen}>
                <a
                  href={routeToHash({ screen: item.screen })}
                  aria-current={route.screen === item.screen ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ screen: item.screen });
                  }}
                >
                  <span>{item.label}</span>
                  {item.soon && <span className="soon">soon</span>}
                  {item.screen === 'jobs' && running > 0 && (
                    <span className="pill" aria-label={`${running} running`}>
                      {running}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismissNotice);
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`}>
          <span>{n.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}

function StatusBar() {
  const info = useApp((s) => s.info);
  const workspace = useApp((s) => s.workspace);
  return (
    <footer className="statusbar">
      <span>{workspace ? `${formatCount(workspace.archived_messages)} messages archived` : ''}</span>
      <span>{workspace?.sandbox ? `Sandbox at ${workspace.sandbox.base_url}` : ''}</span>
      <span>{info ? (info.host === 'electron' ? 'Desktop' : 'Browser mode') : ''}</span>
    </footer>
  );
}

function useTheme() {
  const theme = useApp((s) => s.settings?.theme ?? 'system');
  useEffect(() => {
    const root = document.documentElement;
    const apply = () => {
      const dark = theme === 'dark' || (theme === 'system' && typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches);
      root.dataset.theme = dark ? 'dark' : 'light';
    };
    apply();
    if (theme !== 'system' || typeof matchMedia !== 'function') return;
    const mq = matchMedia('(prefers-color-scheme: dark)');
    mq.addEventListener?.('change', apply);
    return () => mq.removeEventListener?.('change', apply);
  }, [theme]);
}

export function App() {
  const route = useApp((s) => s.route);
  const ready = useApp((s) => s.ready);
  const bootError = useApp((s) => s.bootError);
  useTheme();
  useEffect(() => {
    document.title = `Archivist — ${route.screen === 'conversation' ? 'Conversations' : route.screen[0].toUpperCase() + route.screen.slice(1)}`;
  }, [route.screen]);

  let body: ReactNode;
  if (!ready) body = <p className="muted">Loading…</p>;
  else if (bootError)
    body = (
      <div className="callout callout-error" role="alert">
        Archivist could not start: {bootError.message}
      </div>
    );
  else {
    switch (route.screen) {
      case 'welcome':
        body = <WelcomeScreen />;
        break;
      case 'search':
        body = <SearchScreen />;
        break;
      case 'conversation':
        body = <ConversationScreen />;
        break;
      case 'collect':
        body = <CollectScreen />;
        break;
      case 'jobs':
        body = <JobsScreen />;
        break;
      case 'profiles':
        body = <ProfilesScreen />;
        break;
      case 'settings':
        body = <SettingsScreen />;
        break;
      default:
        body = <UpcomingScreen screen={route.screen} />;
    }
  }
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar />
      <main id="main" className="content" tabIndex={-1}>
        {body}
      </main>
      <StatusBar />
      <Notices />
    </div>
  );
}

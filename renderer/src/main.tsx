import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ArchivistApi } from '../../preload/contract.ts';
import { createHttpApi } from './api/http.ts';
import { createAppStore } from './store/index.ts';
import { StoreProvider } from './store/context.tsx';
import { App } from './App.tsx';
import { parseHash, routeToHash } from './lib/route.ts';
import './styles.css';

declare global {
  interface Window {
    /** Exposed by the Electron preload (contextBridge); absent in browser mode. */
    archivist?: ArchivistApi;
  }
}

const api = window.archivist ?? createHttpApi();
const store = createAppStore(api);

// The URL hash and the store's route follow each other (back/forward, stable message links).
store.setState({ route: parseHash(location.hash) });
window.addEventListener('hashchange', () => {
  const route = parseHash(location.hash);
  if (routeToHash(route) !== routeToHash(store.getState().route)) store.setState({ route });
});
store.subscribe((s, prev) => {
  if (s.route === prev.route) return;
  const hash = routeToHash(s.route);
  if (hash !== location.hash) history.pushState(null, '', hash);
});

void store.getState().init();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ArchivistApi } from '../../../preload/contract.ts';
import { createAppSlice } from './app.ts';
import { createCollectSlice } from './collect.ts';
import { createConversationSlice } from './conversation.ts';
import { createJobsSlice } from './jobs.ts';
import { createProfilesSlice } from './profiles.ts';
import { createSearchSlice } from './search.ts';
import type { AppState } from './types.ts';

export type { AppState };
export type AppStore = StoreApi<AppState>;

/** One store per app (and per test), built from the injected api: Electron's preload bridge or the HTTP client. */
export function createAppStore(api: ArchivistApi): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createAppSlice(api)(...a),
    ...createProfilesSlice(api)(...a),
    ...createCollectSlice(api)(...a),
    ...createJobsSlice(api)(...a),
    ...createSearchSlice(api)(...a),
    ...createConversationSlice(api)(...a),
  }));
}

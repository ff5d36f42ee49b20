import type { AppEvent, AppInfo, ArchiveStats, ContractError, EvidenceFileView, SandboxStatus, Settings, Theme, WorkspaceStatus } from '../../../preload/contract.ts';
import type { Route } from '../lib/route.ts';
import { errorOf, unwrap, type SliceCreator } from './types.ts';

export interface Notice {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

export interface AppSlice {
  info: AppInfo | null;
  settings: Settings | null;
  workspace: WorkspaceStatus | null;
  route: Route;
  ready: boolean;
  bootError: ContractError | null;
  sandboxStarting: boolean;
  sandboxError: ContractError | null;
  notices: Notice[];
  /** Loads what every screen needs and subscribes to events. Returns the unsubscribe function. */
  init(): Promise<() => void>;
  navigate(route: Route): void;
  refreshWorkspace(): Promise<void>;
  updateSettings(patch: { time_zone?: string; theme?: Theme; start_at_login?: boolean }): Promise<boolean>;
  startSandbox(opts?: { messages?: number; seed?: number }): Promise<SandboxStatus | null>;
  loadArchiveInfo(): Promise<[ArchiveStats | null, EvidenceFileView[] | null]>;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
  handleEvent(event: AppEvent): void;
}

let noticeSeq = 0;

export const createAppSlice: SliceCreator<AppSlice> = (api) => (set, get) => ({
  info: null,
  settings: null,
  workspace: null,
  route: { screen: 'search' },
  ready: false,
  bootError: null,
  sandboxStarting: false,
  sandboxError: null,
  notices: [],

  async init() {
    try {
      const [info, settings, workspace] = await Promise.all([
        api.call('app.info', {}).then(unwrap),
        api.call('settings.get', {}).then(unwrap),
        api.call('workspace.status', {}).then(unwrap),
      ]);
      set({ info, settings, workspace, ready: true, bootError: null });
      if (workspace.first_run && get().route.screen === 'search' && !get().route.q) set({ route: { screen: 'welcome' } });
    } catch (err) {
      set({ bootError: errorOf(err), ready: true });
    }
    return api.subscribe((event) => get().handleEvent(event));
  },

  navigate(route) {
    set({ route });
  },

  async refreshWorkspace() {
    const out = await api.call('workspace.status', {});
    if (out.ok) set({ workspace: out.value });
  },

  async updateSettings(patch) {
    const out = await api.call('settings.update', patch);
    if (!out.ok) {
      get().notify('error', out.error.message);
      return false;
    }
    set({ settings: out.value });
    return true;
  },

  async startSandbox(opts = {}) {
    set({ sandboxStarting: true, sandboxError: null });
    const out = await api.call('workspace.startSandbox', opts);
    if (!out.ok) {
      set({ sandboxStarting: false, sandboxError: out.error });
      return null;
    }
    set({ sandboxStarting: false });
    await Promise.all([get().refreshWorkspace(), get().loadProfiles()]);
    get().setCollectProfile(out.value.profile_id);
    set({ route: { screen: 'collect' } });
    get().notify('success', `Sandbox workspace ready: ${out.value.channels} channels, ${out.value.messages.toLocaleString()} messages to collect.`);
    return out.value;
  },

  async loadArchiveInfo() {
    const [stats, evidence] = await Promise.all([api.call('archive.stats', {}), api.call('archive.evidence', {})]);
    return [stats.ok ? stats.value : null, evidence.ok ? evidence.value : null];
  },

  notify(kind, text) {
    const id = ++noticeSeq;
    set({ notices: [...get().notices.slice(-3), { id, kind, text }] });
    // Confirmations fade on their own; errors stay until dismissed.
    if (kind !== 'error') setTimeout(() => get().dismissNotice(id), 8000);
  },

  dismissNotice(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },

  handleEvent(event) {
    switch (event.type) {
      case 'job.progress':
        get().applyProgress(event.progress);
        break;
      case 'collection.created':
        get().upsertCollection(event.collection);
        break;
      case 'archive.changed':
        void get().refreshWorkspace();
        break;
      case 'sandbox.ready':
        void get().refreshWorkspace();
        break;
      default:
        break;
    }
  },
});

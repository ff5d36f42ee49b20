import type { ConnectionTestResult, ContractError, ProfileView } from '../../../preload/contract.ts';
import { type SliceCreator } from './types.ts';

export interface ProfilesSlice {
  profiles: ProfileView[];
  profilesLoaded: boolean;
  profilesError: ContractError | null;
  profileBusy: string | null;
  tests: Record<string, ConnectionTestResult | undefined>;
  loadProfiles(): Promise<void>;
  /** The secret is passed straight through: it is never kept in the store. */
  addProfile(input: { name: string; api_key: string; base_url?: string; secret: string }): Promise<ProfileView | null>;
  testProfile(id: string): Promise<ConnectionTestResult | null>;
  rotateSecret(id: string, secret: string): Promise<boolean>;
  removeProfile(id: string): Promise<boolean>;
}

export const createProfilesSlice: SliceCreator<ProfilesSlice> = (api) => (set, get) => ({
  profiles: [],
  profilesLoaded: false,
  profilesError: null,
  profileBusy: null,
  tests: {},

  async loadProfiles() {
    const out = await api.call('profiles.list', {});
    if (out.ok) set({ profiles: out.value, profilesLoaded: true, profilesError: null });
    else set({ profilesLoaded: true, profilesError: out.error });
  },

  async addProfile(input) {
    set({ profileBusy: 'add', profilesError: null });
    const out = await api.call('profiles.add', input);
    set({ profileBusy: null });
    if (!out.ok) {
      set({ profilesError: out.error });
      return null;
    }
    set({ profiles: [...get().profiles.filter((p) => p.id !== out.value.id), out.value] });
    get().notify('success', `Profile “${out.value.name}” added. Its secret is in the system keychain.`);
    void get().refreshWorkspace();
    return out.value;
  },

  async testProfile(id) {
    set({ profileBusy: `test:${id}` });
    const out = await api.call('profiles.test', { id });
    set({ profileBusy: null });
    if (!out.ok) {
      set({ tests: { ...get().tests, [id]: { outcome: 'error', message: out.error.message, took_ms: 0 } } });
      return null;
    }
    set({ tests: { ...get().tests, [id]: out.value } });
    if (out.value.outcome === 'ok') void get().loadProfiles();
    return out.value;
  },

  async rotateSecret(id, secret) {
    set({ profileBusy: `rotate:${id}`, profilesError: null });
    const out = await api.call('profiles.rotate', { id, secret });
    set({ profileBusy: null });
    if (!out.ok) {
      set({ profilesError: out.error });
      return false;
    }
    set({ profiles: get().profiles.map((p) => (p.id === id ? out.value : p)) });
    get().notify('success', `Secret replaced for “${out.value.name}”.`);
    return true;
  },

  async removeProfile(id) {
    set({ profileBusy: `remove:${id}`, profilesError: null });
    const out = await api.call('profiles.remove', { id });
    set({ profileBusy: null });
    if (!out.ok) {
      set({ profilesError: out.error });
      return false;
    }
    set({ profiles: get().profiles.filter((p) => p.id !== id) });
    void get().refreshWorkspace();
    return true;
  },
});

import type { ContractError, RemoteChannel, RemoteUser } from '../../../preload/contract.ts';
import { type SliceCreator } from './types.ts';

export const CHANNEL_PAGE = 30;

export interface CollectOptions {
  since: string;
  until: string;
  include_truncated_messages: boolean;
  include_soft_deleted_channels: boolean;
  format: 'v1' | 'v2';
}

export interface CollectSlice {
  collectProfileId: string | null;
  collectMode: 'channels' | 'users';
  channelQuery: string;
  channelType: string;
  channelOffset: number;
  channelPage: RemoteChannel[];
  channelHasMore: boolean;
  channelsLoading: boolean;
  collectError: ContractError | null;
  selectedChannels: Record<string, RemoteChannel>;
  userQuery: string;
  userOffset: number;
  userPage: RemoteUser[];
  userHasMore: boolean;
  usersLoading: boolean;
  selectedUsers: Record<string, RemoteUser>;
  collectOptions: CollectOptions;
  queueing: boolean;
  setCollectProfile(id: string | null): void;
  setCollectMode(mode: 'channels' | 'users'): void;
  browseChannels(q?: { query?: string; type?: string; offset?: number }): Promise<void>;
  browseUsers(q?: { query?: string; offset?: number }): Promise<void>;
  toggleChannel(channel: RemoteChannel): void;
  setPageSelected(selected: boolean): void;
  toggleUser(user: RemoteUser): void;
  clearSelection(): void;
  setCollectOptions(patch: Partial<CollectOptions>): void;
  /** Queues the selection as a collection; returns its id. */
  queueCollection(): Promise<string | null>;
}

const defaultOptions = (): CollectOptions => ({
  since: '',
  until: '',
  include_truncated_messages: false,
  include_soft_deleted_channels: false,
  format: 'v2',
});

function toIso(date: string, endOfDay: boolean): string | undefined {
  if (!date) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : date;
}

export const createCollectSlice: SliceCreator<CollectSlice> = (api) => (set, get) => {
  let channelSeq = 0;
  let userSeq = 0;
  return {
    collectProfileId: null,
    collectMode: 'channels',
    channelQuery: '',
    channelType: '',
    channelOffset: 0,
    channelPage: [],
    channelHasMore: false,
    channelsLoading: false,
    collectError: null,
    selectedChannels: {},
    userQuery: '',
    userOffset: 0,
    userPage: [],
    userHasMore: false,
    usersLoading: false,
    selectedUsers: {},
    collectOptions: defaultOptions(),
    queueing: false,

    setCollectProfile(id) {
      if (id === get().collectProfileId) return;
      set({
        collectProfileId: id,
        selectedChannels: {},
        selectedUsers: {},
        channelPage: [],
        userPage: [],
        channelOffset: 0,
        userOffset: 0,
        collectError: null,
      });
    },

    setCollectMode(mode) {
      set({ collectMode: mode });
    },

    async browseChannels(q = {}) {
      const profile_id = get().collectProfileId;
      if (!profile_id) return;
      const query = q.query ?? get().channelQuery;
      const type = q.type ?? get().channelType;
      const offset = q.offset ?? 0;
      const seq = ++channelSeq;
      set({ channelQuery: query, channelType: type, channelsLoading: true, collectError: null });
      const out = await api.call('stream.channels', {
        profile_id,
        query: query || undefined,
        type: type || undefined,
        limit: CHANNEL_PAGE,
        offset,
      });
      if (seq !== channelSeq) return; // a newer request superseded this one
      if (!out.ok) {
        set({ channelsLoading: false, collectError: out.error });
        return;
      }
      set({ channelsLoading: false, channelPage: out.value.channels, channelOffset: offset, channelHasMore: out.value.has_more });
    },

    async browseUsers(q = {}) {
      const profile_id = get().collectProfileId;
      if (!profile_id) return;
      const query = q.query ?? get().userQuery;
      const offset = q.offset ?? 0;
      const seq = ++userSeq;
      set({ userQuery: query, usersLoading: true, collectError: null });
      const out = await api.call('stream.users', { profile_id, query: query || undefined, limit: CHANNEL_PAGE, offset });
      if (seq !== userSeq) return;
      if (!out.ok) {
        set({ usersLoading: false, collectError: out.error });
        return;
      }
      set({ usersLoading: false, userPage: out.value.users, userOffset: offset, userHasMore: out.value.has_more });
    },

    toggleChannel(channel) {
      const next = { ...get().selectedChannels };
      if (next[channel.cid]) delete next[channel.cid];
      else next[channel.cid] = channel;
      set({ selectedChannels: next });
    },

    setPageSelected(selected) {
      const next = { ...get().selectedChannels };
      for (const c of get().channelPage) {
        if (selected) next[c.cid] = c;
        else delete next[c.cid];
      }
      set({ selectedChannels: next });
    },

    toggleUser(user) {
      const next = { ...get().selectedUsers };
      if (next[user.id]) delete next[user.id];
      else next[user.id] = user;
      set({ selectedUsers: next });
    },

    clearSelection() {
      set({ selectedChannels: {}, selectedUsers: {} });
    },

    setCollectOptions(patch) {
      set({ collectOptions: { ...get().collectOptions, ...patch } });
    },

    async queueCollection() {
      const s = get();
      if (!s.collectProfileId) return null;
      const o = s.collectOptions;
      set({ queueing: true, collectError: null });
      const out =
        s.collectMode === 'channels'
          ? await api.call('collections.create', {
              kind: 'channels',
              profile_id: s.collectProfileId,
              channels: { cids: Object.keys(s.selectedChannels) },
              since: toIso(o.since, false),
              until: toIso(o.until, true),
              include_truncated_messages: o.include_truncated_messages,
              include_soft_deleted_channels: o.include_soft_deleted_channels,
              format: o.format,
            })
          : await api.call('collections.create', {
              kind: 'users',
              profile_id: s.collectProfileId,
              user_ids: Object.keys(s.selectedUsers),
            });
      set({ queueing: false });
      if (!out.ok) {
        set({ collectError: out.error });
        return null;
      }
      get().upsertCollection(out.value);
      set({ selectedChannels: {}, selectedUsers: {}, route: { screen: 'jobs' } });
      get().notify('info', `Collection queued: ${out.value.jobs.length} job${out.value.jobs.length === 1 ? '' : 's'}.`);
      return out.value.id;
    },
  };
};

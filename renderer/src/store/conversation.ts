import type { ChannelSummary, ContractError, MessageVersionView, MessageView, ThreadResult } from '../../../preload/contract.ts';
import { type SliceCreator } from './types.ts';

export const CONVERSATION_PAGE = 200;
export const CONTEXT_AROUND = 100;

export interface ConversationSlice {
  convCid: string | null;
  convName: string | null;
  messages: MessageView[];
  /** The message to show and highlight (a search hit or a stable link). */
  anchorId: string | null;
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
  convLoading: boolean;
  pageLoading: 'older' | 'newer' | null;
  convError: ContractError | null;
  /** How many messages the last page added at the top (the timeline keeps its scroll position). */
  prepended: { count: number; seq: number };
  thread: ThreadResult | null;
  threadLoading: boolean;
  threadError: ContractError | null;
  versions: Record<string, MessageVersionView[] | ContractError | undefined>;
  archivedChannels: ChannelSummary[];
  archivedChannelsQuery: string;
  openMessage(messageId: string): Promise<void>;
  openChannel(cid: string): Promise<void>;
  loadOlder(): Promise<void>;
  loadNewer(): Promise<void>;
  openThread(messageId: string): Promise<void>;
  closeThread(): void;
  loadVersions(messageId: string): Promise<void>;
  loadArchivedChannels(query?: string): Promise<void>;
}

export const createConversationSlice: SliceCreator<ConversationSlice> = (api) => (set, get) => {
  let seq = 0;
  let threadSeq = 0;
  const nameOf = (cid: string) => get().archivedChannels.find((c) => c.cid === cid)?.label ?? null;
  return {
    convCid: null,
    convName: null,
    messages: [],
    anchorId: null,
    hasMoreBefore: false,
    hasMoreAfter: false,
    convLoading: false,
    pageLoading: null,
    convError: null,
    prepended: { count: 0, seq: 0 },
    thread: null,
    threadLoading: false,
    threadError: null,
    versions: {},
    archivedChannels: [],
    archivedChannelsQuery: '',

    async openMessage(messageId) {
      const mine = ++seq;
      set({ convLoading: true, convError: null, anchorId: messageId });
      const out = await api.call('archive.context', { message_id: messageId, before: CONTEXT_AROUND, after: CONTEXT_AROUND });
      if (mine !== seq) return;
      if (!out.ok) {
        set({ convLoading: false, convError: out.error });
        return;
      }
      const r = out.value;
      const anchor = r.messages.find((m) => m.message_id === r.anchor);
      set({
        convLoading: false,
        convCid: r.cid,
        convName: r.channel_label,
        messages: r.messages,
        anchorId: r.anchor,
        hasMoreBefore: r.has_more_before,
        hasMoreAfter: r.has_more_after,
        thread: null,
      });
      // A reply lives in its thread: open the thread panel on it.
      if (anchor?.parent_id) void get().openThread(anchor.parent_id);
      else if (!anchor && r.anchor !== messageId) void get().openThread(r.anchor);
    },

    async openChannel(cid) {
      const mine = ++seq;
      set({ convLoading: true, convError: null, convCid: cid, convName: nameOf(cid), anchorId: null, thread: null, messages: [] });
      const out = await api.call('archive.channelPage', { cid, limit: CONVERSATION_PAGE });
      if (mine !== seq) return;
      if (!out.ok) {
        set({ convLoading: false, convError: out.error });
        return;
      }
      set({ convLoading: false, messages: out.value.messages, hasMoreBefore: out.value.has_more_before, hasMoreAfter: out.value.has_more_after });
    },

    async loadOlder() {
      const { convCid, messages, hasMoreBefore, pageLoading } = get();
      if (!convCid || !hasMoreBefore || pageLoading || messages.length === 0) return;
      const mine = seq;
      set({ pageLoading: 'older' });
      const out = await api.call('archive.channelPage', { cid: convCid, before: messages[0].message_id, limit: CONVERSATION_PAGE });
      if (mine !== seq) return;
      if (!out.ok) {
        set({ pageLoading: null, convError: out.error });
        return;
      }
      const p = get().prepended;
      set({
        pageLoading: null,
        messages: [...out.value.messages, ...get().messages],
        hasMoreBefore: out.value.has_more_before,
        prepended: { count: out.value.messages.length, seq: p.seq + 1 },
      });
    },

    async loadNewer() {
      const { convCid, messages, hasMoreAfter, pageLoading } = get();
      if (!convCid || !hasMoreAfter || pageLoading || messages.length === 0) return;
      const mine = seq;
      set({ pageLoading: 'newer' });
      const out = await api.call('archive.channelPage', { cid: convCid, after: messages[messages.length - 1].message_id, limit: CONVERSATION_PAGE });
      if (mine !== seq) return;
      if (!out.ok) {
        set({ pageLoading: null, convError: out.error });
        return;
      }
      set({ pageLoading: null, messages: [...get().messages, ...out.value.messages], hasMoreAfter: out.value.has_more_after });
    },

    async openThread(messageId) {
      const mine = ++threadSeq;
      set({ threadLoading: true, threadError: null });
      const out = await api.call('archive.thread', { message_id: messageId });
      if (mine !== threadSeq) return;
      if (!out.ok) set({ threadLoading: false, threadError: out.error });
      else set({ threadLoading: false, thread: out.value });
    },

    closeThread() {
      threadSeq++;
      set({ thread: null, threadLoading: false, threadError: null });
    },

    async loadVersions(messageId) {
      const out = await api.call('archive.versions', { message_id: messageId });
      set({ versions: { ...get().versions, [messageId]: out.ok ? out.value : out.error } });
    },

    async loadArchivedChannels(query) {
      const q = query ?? get().archivedChannelsQuery;
      set({ archivedChannelsQuery: q });
      const out = await api.call('archive.channels', { query: q || undefined, limit: 500 });
      if (out.ok && get().archivedChannelsQuery === q) set({ archivedChannels: out.value });
    },
  };
};

import type { CollectionReport, CollectionView, ContractError, JobProgressEvent } from '../../../preload/contract.ts';
import { type SliceCreator } from './types.ts';

export interface JobLive {
  bytes_per_second: number;
  message: string | null;
}

export interface JobsSlice {
  collections: CollectionView[];
  collectionsLoaded: boolean;
  jobsError: ContractError | null;
  live: Record<string, JobLive | undefined>;
  reports: Record<string, CollectionReport | undefined>;
  loadCollections(): Promise<void>;
  upsertCollection(c: CollectionView): void;
  applyProgress(e: JobProgressEvent): void;
  retryJob(id: string): Promise<void>;
  cancelJob(id: string): Promise<void>;
  removeJob(id: string): Promise<void>;
  loadReport(collectionId: string): Promise<CollectionReport | null>;
}

const TERMINAL = new Set(['done', 'failed', 'paused', 'cancelled']);

export const createJobsSlice: SliceCreator<JobsSlice> = (api) => (set, get) => {
  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  // Progress ticks patch the list in place; a state change (e.g. a job finished, so its evidence
  // hash and counts are final) asks for a fresh list, at most a few times per second.
  const scheduleReload = () => {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void get().loadCollections();
    }, 250);
  };
  const act = async (op: 'jobs.retry' | 'jobs.cancel', id: string) => {
    const out = await api.call(op, { id });
    if (!out.ok) {
      set({ jobsError: out.error });
      get().notify('error', out.error.message);
      return;
    }
    await get().loadCollections();
  };
  return {
    collections: [],
    collectionsLoaded: false,
    jobsError: null,
    live: {},
    reports: {},

    async loadCollections() {
      const out = await api.call('collections.list', {});
      if (out.ok) set({ collections: out.value, collectionsLoaded: true, jobsError: null });
      else set({ collectionsLoaded: true, jobsError: out.error });
    },

    upsertCollection(c) {
      const list = get().collections;
      const i = list.findIndex((x) => x.id === c.id);
      set({ collections: i < 0 ? [c, ...list] : list.map((x) => (x.id === c.id ? c : x)) });
    },

    applyProgress(e) {
      const list = get().collections;
      const i = list.findIndex((c) => c.id === e.collection_id);
      if (i < 0) {
        scheduleReload();
        return;
      }
      const c = list[i];
      let next: CollectionView;
      if (e.scope === 'collection') {
        if (c.state !== e.state) scheduleReload();
        next = { ...c, state: e.state, totals: e.totals, updated_at: e.at };
      } else {
        const job = c.jobs.find((j) => j.id === e.job_id);
        if (!job || (job.state !== e.state && TERMINAL.has(e.state))) scheduleReload();
        if (!job) return;
        next = {
          ...c,
          jobs: c.jobs.map((j) =>
            j.id === e.job_id
              ? {
                  ...j,
                  state: e.state,
                  step: e.step,
                  bytes_downloaded: e.bytes,
                  total_bytes: e.total_bytes,
                  imported: j.imported || e.lines_imported
                    ? { lines: e.lines_imported, messages: e.messages_imported, new_messages: j.imported?.new_messages ?? 0, rejected: j.imported?.rejected ?? 0 }
                    : j.imported,
                  updated_at: e.at,
                }
              : j,
          ),
        };
        set({ live: { ...get().live, [e.job_id]: { bytes_per_second: e.bytes_per_second, message: e.message } } });
      }
      const copy = list.slice();
      copy[i] = next;
      set({ collections: copy });
      if (e.scope === 'collection' && c.state !== e.state && (e.state === 'complete' || e.state === 'incomplete')) {
        void get().refreshWorkspace();
      }
    },

    retryJob: (id) => act('jobs.retry', id),
    cancelJob: (id) => act('jobs.cancel', id),

    async removeJob(id) {
      const out = await api.call('jobs.remove', { id });
      if (!out.ok) {
        get().notify('error', out.error.message);
        return;
      }
      await get().loadCollections();
    },

    async loadReport(collectionId) {
      const out = await api.call('collections.report', { collection_id: collectionId });
      if (!out.ok) {
        get().notify('error', out.error.message);
        return null;
      }
      set({ reports: { ...get().reports, [collectionId]: out.value } });
      return out.value;
    },
  };
};

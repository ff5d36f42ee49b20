import type { AppEvent, AppInfo, OperationName } from '../../../preload/contract.ts';
import type { JobEngine } from '../jobs/types.ts';
import { dispatch, type ContractEndpoint, type Handlers } from './dispatch.ts';
import { AppError } from './errors.ts';
import type { ArchivePort, ProfilesPort, SandboxPort, StreamBrowserPort } from './ports.ts';
import type { SettingsStore } from './settings.ts';

export interface FacadeDeps {
  info: Omit<AppInfo, 'sandbox_available'>;
  settings: SettingsStore;
  archive: () => Promise<ArchivePort>;
  profiles?: ProfilesPort;
  stream?: StreamBrowserPort;
  jobs?: JobEngine;
  sandbox?: SandboxPort;
  /** Host-specific (Electron opens allow-listed URLs in the system browser; browser mode cannot). */
  openExternal?: (url: string) => Promise<boolean>;
  log?: (message: string, err?: unknown) => void;
}

export interface AppFacade extends ContractEndpoint {
  emit(event: AppEvent): void;
  handlers: Handlers;
}

function need<T>(value: T | undefined, what: string): T {
  if (!value) throw new AppError('unavailable', `${what} is not available in this build yet.`);
  return value;
}

/**
 * Maps every contract operation onto the core modules. No business logic lives here beyond
 * shaping: the modules own the rules, the entrances (electron/, web/) own transport and trust.
 */
export function createFacade(deps: FacadeDeps): AppFacade {
  const listeners = new Set<(event: AppEvent) => void>();
  const emit = (event: AppEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        deps.log?.('event listener failed', err);
      }
    }
  };
  const profiles = () => need(deps.profiles, 'Profiles');
  const jobs = () => need(deps.jobs, 'Collecting from Stream');
  const stream = () => need(deps.stream, 'Browsing a Stream app');

  const handlers: Handlers = {
    'app.info': async () => ({ ...deps.info, sandbox_available: Boolean(deps.sandbox) }),
    'app.openExternal': async ({ url }) => ({ opened: deps.openExternal ? await deps.openExternal(url) : false }),
    'workspace.status': async () => {
      const [list, stats] = await Promise.all([deps.profiles?.list() ?? [], (await deps.archive()).stats()]);
      return {
        first_run: list.length === 0 && stats.messages === 0,
        profiles: list.length,
        archived_messages: stats.messages,
        sandbox: deps.sandbox?.status() ?? null,
      };
    },
    'workspace.startSandbox': async (input) => {
      const status = await need(deps.sandbox, 'The sandbox workspace').start(input);
      emit({ type: 'sandbox.ready', sandbox: status });
      return status;
    },
    'settings.get': async () => deps.settings.get(),
    'settings.update': async (patch) => {
      const settings = deps.settings.update(patch);
      // Hosts react to preferences they own (Electron applies start_at_login).
      emit({ type: 'settings.changed', settings });
      return settings;
    },

    'profiles.list': async () => profiles().list(),
    'profiles.add': async (input) => profiles().add(input),
    'profiles.test': async ({ id }) => profiles().test(id),
    'profiles.rotate': async ({ id, secret }) => profiles().rotate(id, secret),
    'profiles.remove': async ({ id }) => {
      await profiles().remove(id);
      return { removed: true };
    },

    'stream.channels': async ({ profile_id, query, type, limit, offset }) =>
      stream().channels(profile_id, { query, type, limit: limit ?? 30, offset: offset ?? 0 }),
    'stream.users': async ({ profile_id, query, limit, offset }) =>
      stream().users(profile_id, { query, limit: limit ?? 30, offset: offset ?? 0 }),

    'collections.create': async (request) => {
      const collection = await jobs().createCollection(request);
      emit({ type: 'collection.created', collection });
      return collection;
    },
    'collections.list': async ({ active }) => jobs().list(active ? { active } : undefined),
    'collections.report': async ({ collection_id }) => {
      if (!jobs().get(collection_id)) throw new AppError('not_found', 'No such collection.');
      return jobs().report(collection_id);
    },
    'jobs.retry': async ({ id }) => jobs().retry(id),
    'jobs.cancel': async ({ id }) => jobs().cancel(id),
    'jobs.remove': async ({ id }) => {
      jobs().remove(id);
      return { removed: true };
    },

    'archive.search': async (req) => (await deps.archive()).search(req),
    'archive.facets': async ({ query }) => (await deps.archive()).facets(query),
    'archive.context': async (req) => (await deps.archive()).context(req),
    'archive.channelPage': async (req) => (await deps.archive()).channelPage(req),
    'archive.thread': async ({ message_id }) => (await deps.archive()).thread(message_id),
    'archive.versions': async ({ message_id }) => (await deps.archive()).versions(message_id),
    'archive.channels': async (q) => (await deps.archive()).channels(q),
    'archive.users': async (q) => (await deps.archive()).users(q),
    'archive.stats': async () => (await deps.archive()).stats(),
    'archive.evidence': async () => (await deps.archive()).evidence(),
    'archive.import': async ({ paths }) => {
      const archive = await deps.archive();
      const summary = await archive.importFiles(paths, { onProgress: (progress) => emit({ type: 'import.progress', progress }) });
      emit({ type: 'archive.changed', messages: (await archive.stats()).messages });
      return summary;
    },
  };

  deps.jobs?.on('progress', (progress) => {
    emit({ type: 'job.progress', progress });
  });

  return {
    handlers,
    emit,
    invoke: (op, input) => dispatch(handlers, op, input, deps.log),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type { OperationName };

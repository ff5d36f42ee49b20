/**
 * Binds the real core modules to the facade's ports: profiles (state.db + the OS keychain), the
 * job engine (state.db + the archive the facade reads), the Stream export client, and the
 * in-process sandbox workspace.
 *
 * Credentials: every Stream connection (browsing, jobs) is built from
 * `ProfileService.credentials(id)` — the keychain for Stream profiles, the running in-process
 * sandbox for the sandbox profile (which needs no keychain). Connections are cached per profile
 * and rebuilt when the profile changes (secret rotated, sandbox restarted on a new port), also
 * when a CLI process changed it in state.db. The secret stays in this process's memory.
 */
import type Database from 'better-sqlite3';
import type { Archive } from '../archive/index.ts';
import { archivePort } from '../jobs/archive-adapter.ts';
import { createJobEngine, type JobEngineImpl, type JobLimits } from '../jobs/engine.ts';
import type { ExportApi, ExportApiErrorInfo } from '../jobs/ports.ts';
import type { JobEngine } from '../jobs/types.ts';
import { createLogger, logFilePath, type Logger } from '../log/index.ts';
import { ProfileService, profilesPort, type Profile } from '../profiles/index.ts';
import { createSecretStore, KeychainError, type SecretStore } from '../secrets/index.ts';
import { openStateDb } from '../state/index.ts';
import { StreamError } from '../stream/errors.ts';
import type { StreamExportClient } from '../stream/index.ts';
import type { RemoteChannelPage, RemoteUserPage, SandboxStatus } from '../../../preload/contract.ts';
import { AppError } from './errors.ts';
import type { ProfilesPort, SandboxPort, StreamBrowserPort } from './ports.ts';

export interface WireOptions {
  dataDir: string;
  /** Where API secrets live (default: the OS keychain, `createSecretStore(process.env)`). Closed on shutdown. */
  secretStore?: SecretStore;
  sandbox: boolean;
  archive: () => Promise<Archive>;
  log: (message: string, err?: unknown) => void;
  /** Engine tuning (tests and benches make polling faster). */
  jobLimits?: Partial<JobLimits>;
  /** Sandbox tuning: task latency in ms (default: a realistic couple of seconds). */
  sandboxLatency?: { pendingMs: number; runningMs: number };
}

export interface WiredServices {
  profiles?: ProfilesPort;
  stream?: StreamBrowserPort;
  jobs?: JobEngine;
  sandbox?: SandboxPort;
  close(): Promise<void>;
}

/** The persisted profile of the in-process sandbox workspace (kind 'sandbox': no keychain item). */
export const SANDBOX_PROFILE_NAME = 'Sandbox workspace';

interface RunningSandbox {
  status: SandboxStatus;
  apiKey: string;
  apiSecret: string;
  baseURL: string;
  profileId: string;
  close(): Promise<void>;
}

interface CachedConnection {
  /** What the client was built from; a different key means the profile changed. */
  key: string;
  client: Promise<StreamExportClient>;
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

export async function wireServices(opts: WireOptions): Promise<WiredServices> {
  let sandbox: RunningSandbox | null = null;
  let sandboxGeneration = 0;
  let starting: Promise<SandboxStatus> | null = null;
  const connections = new Map<string, CachedConnection>();
  const retired: Promise<StreamExportClient>[] = [];

  const secrets: SecretStore = opts.secretStore ?? createSecretStore(process.env);
  const logger: Logger = createLogger({ file: logFilePath(opts.dataDir) }).child({ entry: 'app' });

  let db: Database.Database | null = null;
  let service: ProfileService | null = null;
  try {
    db = openStateDb(opts.dataDir);
    service = new ProfileService({
      db,
      secrets,
      log: logger,
      // Only the sandbox this process runs can answer for its profile.
      sandboxSecret: (p) => (sandbox && sandbox.profileId === p.id ? sandbox.apiSecret : null),
    });
  } catch (err) {
    opts.log('state.db could not be opened; profiles and collecting are unavailable', err);
    db?.close();
    db = null;
  }

  /**
   * The Stream client for a profile (by id or name). Checks state.db on every call (a cheap
   * read) so a secret rotated by `archivist profile rotate` or a removed profile is noticed.
   */
  function connection(ref: string): Promise<StreamExportClient> {
    const svc = service;
    if (!svc) return Promise.reject(new AppError('unavailable', 'Profiles are unavailable: state.db could not be opened (see the log).'));
    let profile: Profile;
    try {
      profile = svc.get(ref);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = [profile.updated_at, profile.api_key, profile.base_url, profile.kind === 'sandbox' ? sandboxGeneration : ''].join('|');
    const had = connections.get(profile.id);
    if (had?.key === key) return had.client;
    if (had) forget(profile.id); // a job may still be mid-call on it
    const client = (async () => {
      const creds = await svc.credentials(profile.id);
      // stream-chat loads on the first Stream call, not at app start-up.
      const { streamClientForCredentials } = await import('../jobs/stream-api.ts');
      return streamClientForCredentials(creds);
    })();
    const entry: CachedConnection = { key, client };
    connections.set(profile.id, entry);
    client.catch(() => {
      if (connections.get(profile.id) === entry) connections.delete(profile.id);
    });
    return client;
  }

  /** Drops a profile's cached connection (its in-flight calls finish; closed on shutdown). */
  function forget(profileId: string): void {
    const had = connections.get(profileId);
    if (had) retired.push(had.client);
    connections.delete(profileId);
  }

  /**
   * The engine's ExportApi for a profile: each call goes through `connection()`, so jobs pick up
   * a rotated secret or a restarted sandbox without restarting the engine (which caches this).
   */
  async function exportApi(profileId: string): Promise<ExportApi> {
    await connection(profileId); // fail now on an unknown profile, keychain trouble, a stopped sandbox
    const thrownBy = new WeakMap<object, ExportApi | 'credentials'>();
    let last: ExportApi | null = null;
    const call = async <T>(fn: (api: ExportApi) => Promise<T>): Promise<T> => {
      let api: ExportApi;
      try {
        api = await connection(profileId);
      } catch (err) {
        if (isObject(err)) thrownBy.set(err, 'credentials');
        throw err;
      }
      last = api;
      try {
        return await fn(api);
      } catch (err) {
        if (isObject(err)) thrownBy.set(err, api);
        throw err;
      }
    };
    return {
      exportChannels: (channels, options) => call((api) => api.exportChannels(channels, options)),
      exportUsers: (userIds) => call((api) => api.exportUsers(userIds)),
      getTask: (taskId, kind) => call((api) => api.getTask(taskId, kind)),
      listChannelCids: (filter) => call((api) => api.listChannelCids(filter)),
      classifyError(err): ExportApiErrorInfo {
        const owner = isObject(err) ? thrownBy.get(err) : undefined;
        if (owner === 'credentials' || (!owner && !last)) {
          // Keychain or profile trouble: retrying on a timer will not fix it; the user will.
          return { kind: 'fatal', message: err instanceof KeychainError ? err.userMessage : err instanceof Error ? err.message : String(err) };
        }
        return (owner ?? last)!.classifyError(err);
      },
    };
  }

  let engine: JobEngineImpl | null = null;
  let port: ReturnType<typeof archivePort> | null = null;
  if (db) {
    try {
      const archive = await opts.archive();
      port = archivePort(archive, opts.dataDir);
      engine = createJobEngine({
        dataDir: opts.dataDir,
        db,
        archive: port,
        api: (profileId) => exportApi(profileId),
        limits: { ...envLimits(), ...opts.jobLimits },
      });
      await engine.start();
    } catch (err) {
      opts.log('the job engine could not start; collecting is unavailable', err);
      engine = null;
    }
  }

  // The updated_at check in connection() notices changes; forgetting here also covers two
  // changes within the same millisecond.
  const basePort = service ? profilesPort(service) : undefined;
  const profiles: ProfilesPort | undefined = basePort && {
    ...basePort,
    rotate: async (id, secret) => {
      const view = await basePort.rotate(id, secret);
      forget(view.id);
      return view;
    },
    remove: async (id) => {
      const known = service?.find(id);
      await basePort.remove(id);
      if (known) forget(known.id);
    },
  };

  // Browsing for the Collect screen. QueryChannels has no free-text search, so the name/cid filter
  // is applied while walking the app's channels (oldest first), which stays cheap at the sizes a
  // person pages through.
  const stream: StreamBrowserPort = {
    channels: (profileId, q) => asConnectionError(browseChannels(profileId, q)),
    users: (profileId, q) => asConnectionError(browseUsers(profileId, q)),
  };

  /**
   * One page of the items of a stream (QueryChannels/QueryUsers pages) whose text contains the
   * needle: Stream has no text search for these, so the listing is walked and filtered here.
   */
  async function pageMatching<T, R>(
    items: AsyncIterable<T>, text: (item: T) => string, q: { query?: string; offset: number; limit: number }, map: (item: T) => R,
  ): Promise<{ items: R[]; has_more: boolean }> {
    const needle = q.query?.trim().toLowerCase() ?? '';
    const out: R[] = [];
    let skipped = 0;
    for await (const item of items) {
      if (needle && !text(item).toLowerCase().includes(needle)) continue;
      if (skipped < q.offset) {
        skipped++;
        continue;
      }
      if (out.length === q.limit) return { items: out, has_more: true };
      out.push(map(item));
    }
    return { items: out, has_more: false };
  }

  async function browseChannels(profileId: string, q: Parameters<StreamBrowserPort['channels']>[1]): Promise<RemoteChannelPage> {
    const client = await connection(profileId);
    const page = await pageMatching(client.channels(q.type ? { type: q.type } : {}), (ch) => `${ch.name ?? ''} ${ch.cid}`, q, (ch) => ({
      cid: ch.cid,
      type: ch.type,
      id: ch.id,
      name: typeof ch.name === 'string' ? ch.name : null,
      member_count: typeof ch.member_count === 'number' ? ch.member_count : 0,
      created_at: ch.created_at ?? null,
      last_message_at: ch.last_message_at ?? null,
      disabled: Boolean((ch as { disabled?: boolean }).disabled),
    }));
    return { channels: page.items, offset: q.offset, has_more: page.has_more };
  }

  async function browseUsers(profileId: string, q: Parameters<StreamBrowserPort['users']>[1]): Promise<RemoteUserPage> {
    const client = await connection(profileId);
    const page = await pageMatching(client.users({}), (u) => `${u.name ?? ''} ${u.id}`, q, (u) => ({
      id: u.id,
      name: u.name ?? null,
      role: u.role ?? null,
      last_active: typeof u.last_active === 'string' ? u.last_active : null,
    }));
    return { users: page.items, offset: q.offset, has_more: page.has_more };
  }

  /** Creates or refreshes the sandbox workspace's persisted profile (new port and key each start). */
  const registerSandbox = (sb: RunningSandbox): void => {
    const profile = service!.ensureSandbox({ name: SANDBOX_PROFILE_NAME, api_key: sb.apiKey, base_url: sb.baseURL });
    sb.profileId = profile.id;
    sb.status = { ...sb.status, profile_id: profile.id };
  };

  const sandboxPort: SandboxPort | undefined =
    opts.sandbox && service
      ? {
          start(o) {
            if (sandbox) {
              const running = sandbox;
              // Its profile may have been removed meanwhile: bring it back.
              return Promise.resolve().then(() => {
                registerSandbox(running);
                return running.status;
              });
            }
            starting ??= (async () => {
              const { startSandbox } = await import('../../sandbox/server/index.ts');
              const sb = await startSandbox({
                seed: o.seed ?? 42,
                messages: o.messages ?? 5000,
                latency: opts.sandboxLatency ?? { pendingMs: 500, runningMs: 1500 },
              });
              const running: RunningSandbox = {
                apiKey: sb.apiKey,
                apiSecret: sb.apiSecret,
                baseURL: sb.baseURL,
                profileId: '',
                status: {
                  profile_id: '',
                  base_url: sb.baseURL,
                  channels: sb.dataset.channels.length,
                  users: sb.dataset.users.length,
                  messages: sb.dataset.channels.reduce((n, c) => n + sb.dataset.messageCount(c.cid), 0),
                },
                close: () => sb.close(),
              };
              try {
                registerSandbox(running);
              } catch (err) {
                await sb.close();
                throw err;
              }
              sandboxGeneration++;
              sandbox = running;
              return running.status;
            })().finally(() => {
              starting = null;
            });
            return starting;
          },
          status: () => sandbox?.status ?? null,
          async close() {
            const sb = sandbox;
            sandbox = null;
            sandboxGeneration++;
            await sb?.close();
          },
        }
      : undefined;

  return {
    profiles,
    stream: service ? stream : undefined,
    jobs: engine ?? undefined,
    sandbox: sandboxPort,
    async close() {
      await engine?.stop();
      const clients = await Promise.allSettled([...[...connections.values()].map((c) => c.client), ...retired]);
      for (const c of clients) if (c.status === 'fulfilled') c.value.close();
      connections.clear();
      await sandboxPort?.close();
      port?.close();
      db?.close();
      await secrets.close();
      logger.close();
    },
  };
}

/**
 * Stream's refusals (wrong secret, suspended app, unreachable host…) as `connection` errors with
 * the client's message, which names the fix and never carries the secret (main/core/stream/errors.ts).
 */
async function asConnectionError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof StreamError) throw new AppError('connection', err.message);
    throw err;
  }
}

/** ARCHIVIST_JOBS_LIMITS='{"pollInitialMs":50}' tunes the engine (tests, benches), as for the CLI. */
function envLimits(): Partial<JobLimits> {
  const raw = process.env.ARCHIVIST_JOBS_LIMITS;
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Partial<JobLimits>;
  } catch {
    return {};
  }
}

/**
 * Binds the real core modules to the facade's ports: the job engine (state.db + the archive the
 * facade reads), the Stream export client, and the in-process sandbox workspace.
 *
 * Profiles (issue 4) are not in this build yet: until ProfileService lands, the only profile is
 * the sandbox workspace's (which needs no keychain: its credentials live in memory for the life
 * of the process), and adding a real profile answers `unavailable`.
 */
import type Database from 'better-sqlite3';
import type { Archive } from '../archive/index.ts';
import { archivePort } from '../jobs/archive-adapter.ts';
import { createJobEngine, type JobEngineImpl, type JobLimits } from '../jobs/engine.ts';
import type { ExportApi } from '../jobs/ports.ts';
import { exportApiFor, exportApiForProfile } from '../jobs/stream-api.ts';
import type { JobEngine } from '../jobs/types.ts';
import { openStateDb } from '../state/index.ts';
import { createStreamClient, type StreamExportClient } from '../stream/index.ts';
import type { ProfileView, RemoteChannelPage, SandboxStatus } from '../../../preload/contract.ts';
import { AppError } from './errors.ts';
import type { ProfilesPort, SandboxPort, StreamBrowserPort } from './ports.ts';

export interface WireOptions {
  dataDir: string;
  secretStore?: unknown;
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

export const SANDBOX_PROFILE_ID = 'sandbox';

interface RunningSandbox {
  status: SandboxStatus;
  profile: ProfileView;
  apiKey: string;
  apiSecret: string;
  close(): Promise<void>;
}

export async function wireServices(opts: WireOptions): Promise<WiredServices> {
  let sandbox: RunningSandbox | null = null;
  let starting: Promise<SandboxStatus> | null = null;
  const clients = new Map<string, StreamExportClient>();

  let db: Database.Database | null = null;
  let engine: JobEngineImpl | null = null;
  let port: ReturnType<typeof archivePort> | null = null;
  try {
    db = openStateDb(opts.dataDir);
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

  function connection(profileId: string): { apiKey: string; apiSecret: string; baseURL: string } {
    if (profileId === SANDBOX_PROFILE_ID) {
      if (!sandbox) throw new AppError('unavailable', 'The sandbox workspace is not running. Open it from the Welcome screen.');
      return { apiKey: sandbox.apiKey, apiSecret: sandbox.apiSecret, baseURL: sandbox.status.base_url };
    }
    throw new AppError('not_found', 'No such profile.');
  }

  async function exportApi(profileId: string): Promise<ExportApi> {
    if (profileId === SANDBOX_PROFILE_ID) return exportApiFor(connection(profileId));
    return exportApiForProfile(db!, profileId);
  }

  function client(profileId: string): StreamExportClient {
    let c = clients.get(profileId);
    if (!c) {
      c = createStreamClient(connection(profileId));
      clients.set(profileId, c);
    }
    return c;
  }

  const profiles: ProfilesPort = {
    list: async () => (sandbox ? [sandbox.profile] : []),
    add: async () => {
      throw new AppError('unavailable', 'Adding a Stream profile needs the keychain-backed profile service, which is not in this build yet. Use the sandbox workspace for now.');
    },
    test: async (id) => {
      const t0 = Date.now();
      try {
        await client(id).testConnection();
        return { outcome: 'ok', message: 'Connected: key and secret accepted.', took_ms: Date.now() - t0 };
      } catch (err) {
        if (err instanceof AppError) throw err;
        return { outcome: 'error', message: err instanceof Error ? err.message : String(err), took_ms: Date.now() - t0 };
      }
    },
    rotate: async () => {
      throw new AppError('unavailable', 'Replacing a secret needs the profile service, which is not in this build yet.');
    },
    remove: async (id) => {
      if (id === SANDBOX_PROFILE_ID) throw new AppError('conflict', 'The sandbox profile goes away when Archivist stops.');
      throw new AppError('not_found', 'No such profile.');
    },
  };

  // Browsing for the Collect screen. QueryChannels has no free-text search, so the name/cid filter
  // is applied while walking the app's channels (oldest first), which stays cheap at the sizes a
  // person pages through.
  const stream: StreamBrowserPort = {
    async channels(profileId, q) {
      const filter = q.type ? { type: q.type } : {};
      const needle = q.query?.trim().toLowerCase() ?? '';
      const out: RemoteChannelPage['channels'] = [];
      let skipped = 0;
      let hasMore = false;
      for await (const ch of client(profileId).channels(filter)) {
        if (needle && !`${ch.name ?? ''} ${ch.cid}`.toLowerCase().includes(needle)) continue;
        if (skipped < q.offset) {
          skipped++;
          continue;
        }
        if (out.length === q.limit) {
          hasMore = true;
          break;
        }
        out.push({
          cid: ch.cid,
          type: ch.type,
          id: ch.id,
          name: typeof ch.name === 'string' ? ch.name : null,
          member_count: typeof ch.member_count === 'number' ? ch.member_count : 0,
          created_at: ch.created_at ?? null,
          last_message_at: ch.last_message_at ?? null,
          disabled: Boolean((ch as { disabled?: boolean }).disabled),
        });
      }
      return { channels: out, offset: q.offset, has_more: hasMore };
    },
    async users(profileId, q) {
      const needle = q.query?.trim().toLowerCase() ?? '';
      const out: { id: string; name: string | null; role: string | null; last_active: string | null }[] = [];
      let skipped = 0;
      let hasMore = false;
      for await (const u of client(profileId).users({})) {
        if (needle && !`${u.name ?? ''} ${u.id}`.toLowerCase().includes(needle)) continue;
        if (skipped < q.offset) {
          skipped++;
          continue;
        }
        if (out.length === q.limit) {
          hasMore = true;
          break;
        }
        out.push({ id: u.id, name: u.name ?? null, role: u.role ?? null, last_active: typeof u.last_active === 'string' ? u.last_active : null });
      }
      return { users: out, offset: q.offset, has_more: hasMore };
    },
  };

  const sandboxPort: SandboxPort | undefined = opts.sandbox
    ? {
        start(o) {
          if (sandbox) return Promise.resolve(sandbox.status);
          starting ??= (async () => {
            const { startSandbox } = await import('../../sandbox/server/index.ts');
            const sb = await startSandbox({
              seed: o.seed ?? 42,
              messages: o.messages ?? 5000,
              latency: opts.sandboxLatency ?? { pendingMs: 500, runningMs: 1500 },
            });
            const now = new Date().toISOString();
            const status: SandboxStatus = {
              profile_id: SANDBOX_PROFILE_ID,
              base_url: sb.baseURL,
              channels: sb.dataset.channels.length,
              users: sb.dataset.users.length,
              messages: sb.dataset.channels.reduce((n, c) => n + sb.dataset.messageCount(c.cid), 0),
            };
            sandbox = {
              status,
              apiKey: sb.apiKey,
              apiSecret: sb.apiSecret,
              close: () => sb.close(),
              profile: {
                id: SANDBOX_PROFILE_ID,
                name: 'Sandbox workspace',
                api_key: sb.apiKey,
                base_url: sb.baseURL,
                sandbox: true,
                created_at: now,
                updated_at: now,
                last_connected_at: null,
                has_secret: false,
              },
            };
            return status;
          })().finally(() => {
            starting = null;
          });
          return starting;
        },
        status: () => sandbox?.status ?? null,
        async close() {
          await sandbox?.close();
          sandbox = null;
        },
      }
    : undefined;

  return {
    profiles,
    stream,
    jobs: engine ?? undefined,
    sandbox: sandboxPort,
    async close() {
      await engine?.stop();
      for (const c of clients.values()) c.close();
      await sandboxPort?.close();
      port?.close();
      db?.close();
    },
  };
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

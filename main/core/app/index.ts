/**
 * `createAppCore`: the contract implemented over the core modules, for both entrances
 * (main/electron binds it to IPC, main/web to HTTP + SSE). Plain Node.
 */
import fs from 'node:fs';
import os from 'node:os';
import { openArchive } from '../archive/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import type { AppEvent } from '../../../preload/contract.ts';
import { createFacade, type AppFacade } from './facade.ts';
import type { ArchivePort } from './ports.ts';
import { createSettingsStore } from './settings.ts';
import { wireServices, type WiredServices, type WireOptions } from './wire.ts';

export interface AppCoreOptions {
  dataDir: string;
  host: 'electron' | 'browser';
  version?: string;
  /**
   * Where API secrets live (main/core/secrets). Default: the OS keychain. Tests may pass another
   * store; it is closed with the core.
   */
  secretStore?: SecretStore;
  /** Offer the in-process sandbox workspace (default true). */
  sandbox?: boolean;
  openExternal?: (url: string) => Promise<boolean>;
  log?: (message: string, err?: unknown) => void;
  /** Engine and sandbox tuning for tests and benches. */
  jobLimits?: WireOptions['jobLimits'];
  sandboxLatency?: WireOptions['sandboxLatency'];
}

export interface AppCore extends Pick<AppFacade, 'invoke' | 'subscribe'> {
  dataDir: string;
  emit(event: AppEvent): void;
  /** Jobs pause on suspend and resume on resume (Electron power events). */
  suspend(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function createAppCore(opts: AppCoreOptions): Promise<AppCore> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const log = opts.log ?? ((message: string, err?: unknown) => console.error(`[archivist] ${message}`, err ?? ''));

  // The archive worker is opened on first use so that start-up stays fast with a big archive.
  let archivePromise: Promise<ArchivePort> | null = null;
  const archive = () =>
    (archivePromise ??= openArchive(opts.dataDir).catch((err) => {
      archivePromise = null; // let the next call try again (e.g. after the user freed the file)
      throw err;
    }));

  const services: WiredServices = await wireServices({
    dataDir: opts.dataDir,
    secretStore: opts.secretStore,
    sandbox: opts.sandbox !== false,
    archive,
    log,
    jobLimits: opts.jobLimits,
    sandboxLatency: opts.sandboxLatency,
  });

  const facade = createFacade({
    info: {
      version: opts.version ?? '0.1.0',
      host: opts.host,
      platform: `${os.platform()}-${os.arch()}`,
      data_dir: opts.dataDir,
      features: ['search', 'conversations', ...(services.profiles ? ['profiles'] : []), ...(services.jobs ? ['collect', 'jobs'] : [])],
    },
    settings: createSettingsStore(opts.dataDir),
    archive,
    profiles: services.profiles,
    stream: services.stream,
    jobs: services.jobs,
    sandbox: services.sandbox,
    openExternal: opts.openExternal,
    log,
  });

  let closed = false;
  return {
    dataDir: opts.dataDir,
    invoke: facade.invoke,
    subscribe: facade.subscribe,
    emit: facade.emit,
    async suspend() {
      facade.emit({ type: 'power', state: 'suspend' });
      await services.jobs?.stop();
    },
    async resume() {
      await services.jobs?.start();
      facade.emit({ type: 'power', state: 'resume' });
    },
    async close() {
      if (closed) return;
      closed = true;
      await services.close();
      if (archivePromise) await (await archivePromise).close();
    },
  };
}

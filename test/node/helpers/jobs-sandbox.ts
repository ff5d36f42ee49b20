/** A sandbox Stream + data dir + engine, wired like the product, for the job tests. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openArchive, type Archive } from '../../../main/core/archive/index.ts';
import { archivePort } from '../../../main/core/jobs/archive-adapter.ts';
import { createJobEngine, type JobEngineImpl, type JobHooks, type JobLimits } from '../../../main/core/jobs/engine.ts';
import { exportApiFor } from '../../../main/core/jobs/stream-api.ts';
import type { ExportApi } from '../../../main/core/jobs/ports.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../main/sandbox/server/index.ts';
import { openJobsDb } from './jobs-db.ts';

/** Rate-limit windows scaled down 10× (a "minute" lasts 6 s) so tests stay fast but limited. */
export const RATE_WINDOW_MS = 6000;
export const FAST_LIMITS: Partial<JobLimits> = {
  pollInitialMs: 30,
  pollMaxMs: 150,
  retryBaseMs: 20,
  retryMaxMs: 300,
  maxTransientErrors: 30,
  tickMs: 50,
  progressIntervalMs: 20,
};

export function sandboxOptions(o: Partial<SandboxOptions> = {}): SandboxOptions {
  return {
    seed: 11,
    messages: 3000,
    channels: 60,
    latency: { pendingMs: 20, runningMs: 20, perThousandMessagesMs: 0 },
    rateWindowMs: RATE_WINDOW_MS,
    ...o,
  };
}

export function apiFor(sb: { baseURL: string; apiKey: string; apiSecret: string }): ExportApi {
  return exportApiFor({ baseURL: sb.baseURL, apiKey: sb.apiKey, apiSecret: sb.apiSecret, limiter: { windowMs: RATE_WINDOW_MS } });
}

export interface SandboxEnv {
  dataDir: string;
  db: Database.Database;
  archive: Archive;
  engine: JobEngineImpl;
  sandbox: Sandbox;
  close(): Promise<void>;
}

export async function sandboxEnv(o: { sandbox?: Partial<SandboxOptions>; hooks?: JobHooks; limits?: Partial<JobLimits> } = {}): Promise<SandboxEnv> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'archivist-jobs-sbx-'));
  const sandbox = await startSandbox(sandboxOptions(o.sandbox));
  const db = await openJobsDb(dataDir);
  const archive = await openArchive(dataDir, { readers: 1 });
  const port = archivePort(archive, dataDir);
  const api = apiFor(sandbox);
  const engine = createJobEngine({ dataDir, db, archive: port, api: () => api, limits: { ...FAST_LIMITS, ...o.limits }, hooks: o.hooks });
  await engine.start();
  return {
    dataDir,
    db,
    archive,
    engine,
    sandbox,
    async close() {
      await engine.stop();
      port.close();
      await archive.close();
      db.close();
      await sandbox.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the job engine of a data dir with the real neighbours: state.db (issue 4), profiles +
 * secrets (issue 4), the Stream export client (issue 3) and the archive (issue 2).
 * Used by the CLI; the desktop app wires the same pieces in main/core/app/wire.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openArchive, type Archive } from '../archive/index.ts';
import { openStateDb } from '../state/index.ts';
import { archivePort } from './archive-adapter.ts';
import { createJobEngine, type JobEngineImpl, type JobHooks, type JobLimits } from './engine.ts';
import type { ExportApi } from './ports.ts';
import { ProfileService, type Profile } from '../profiles/index.ts';
import { MemorySecretStore } from '../secrets/index.ts';

export interface OpenedJobs {
  engine: JobEngineImpl;
  db: Database.Database;
  archive: Archive;
  /** Another live process (the app, `archivist jobs run`) is running this data dir's jobs. */
  runningElsewhere: boolean;
  close(): Promise<void>;
}

function lockHeldByOther(dataDir: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'jobs.lock'), 'utf8'));
    if (!pid || pid === process.pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenJobsOptions {
  env?: NodeJS.ProcessEnv;
  /** Start the engine (process jobs here) rather than only reading/writing state.db. */
  run: boolean;
  limits?: Partial<JobLimits>;
  hooks?: JobHooks;
  /** Override how a profile becomes a Stream connection (tests, embedding). */
  api?: (profileId: string) => Promise<ExportApi> | ExportApi;
  db?: Database.Database;
}

/** ARCHIVIST_JOBS_LIMITS='{"pollInitialMs":50}' tunes the engine (tests, benches). */
function envLimits(env: NodeJS.ProcessEnv | undefined): Partial<JobLimits> {
  const raw = env?.ARCHIVIST_JOBS_LIMITS;
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Partial<JobLimits>;
  } catch {
    throw new Error('ARCHIVIST_JOBS_LIMITS is not valid JSON');
  }
}


/**
 * The profile a user named (by name or id); throws a ProfileError('not_found') with advice.
 * Reads state.db only: no keychain access (hence the unused in-memory store).
 */
export function resolveProfile(db: Database.Database, ref: string): Profile {
  return new ProfileService({ db, secrets: new MemorySecretStore() }).get(ref);
}

export async function openJobs(dataDir: string, o: OpenJobsOptions): Promise<OpenedJobs> {
  const db = o.db ?? openStateDb(dataDir);
  const archive = await openArchive(dataDir, { readers: 1 });
  const port = archivePort(archive, dataDir);
  const engine = createJobEngine({
    dataDir,
    db,
    archive: port,
    // Loaded when a job first talks to Stream: `jobs`, `report` and queuing never pay for stream-chat.
    api: o.api ?? (async (profileId) => (await import('./stream-api.ts')).exportApiForProfile(db, profileId, { env: o.env })),
    limits: { ...envLimits(o.env), ...o.limits },
    hooks: o.hooks,
  });
  if (o.run) await engine.start();
  else engine.observer = true;
  return {
    engine,
    db,
    archive,
    runningElsewhere: o.run ? engine.observer : lockHeldByOther(dataDir),
    async close() {
      await engine.stop();
      port.close();
      await archive.close();
      if (!o.db) db.close();
    },
  };
}

/** Opens the real state.db (all migrations: profiles, jobs, evidence…) for job tests. */
import type Database from 'better-sqlite3';
import { openStateDb } from '../../../main/core/state/index.ts';

export async function openJobsDb(dataDir: string): Promise<Database.Database> {
  return openStateDb(dataDir);
}

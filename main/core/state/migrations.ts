/**
 * The schema of state.db (profiles, jobs, schedules, audit…) as one ordered list of numbered,
 * forward-only steps, applied by main/core/db/migrate.ts.
 *
 * TO ADD A TABLE: append `{ version: <last + 1>, name, up }` at the END of the list, with `up`
 * living beside the code that owns the table (e.g. main/core/jobs/schema.ts). Never edit, renumber
 * or reorder a step that has landed: users' databases have already run it.
 */
import type { Migration } from '../db/migrate.ts';
import { createProfilesTable } from '../profiles/schema.ts';
import { createEvidenceTables, createJobsTables } from '../jobs/schema.ts';

export const stateMigrations: Migration[] = [
  { version: 1, name: 'profiles', up: createProfilesTable },
  // ↑ landed. Append new steps below this line (version 2, 3, …).
  { version: 2, name: 'jobs', up: createJobsTables },
  { version: 3, name: 'evidence', up: createEvidenceTables },
];

/**
 * Crash safety: a child process runs the engine and SIGKILLs itself right after a state change
 * (at every state), or in the middle of a download; a restart must finish the collection with
 * exactly the same archive and a complete report.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';
import type { CollectionView } from '../../main/core/jobs/types.ts';
import { hashFile } from '../../main/core/evidence/store.ts';
import { archiveDigest, expectedDigest } from './helpers/archive-digest.ts';
import { sandboxOptions } from './helpers/jobs-sandbox.ts';

const child = path.join(import.meta.dirname, 'fixtures', 'jobs-child.ts');
let sandbox: Sandbox;
let cids: string[];

beforeAll(async () => {
  // File sizes of ~100 KB so that a kill mid-download really leaves a partial file.
  sandbox = await startSandbox(sandboxOptions({ messages: 4000, channels: 60 }));
  cids = sandbox.dataset.channels.filter((c) => !c.deleted_at).map((c) => c.cid).slice(0, 50);
});
afterAll(() => sandbox?.close());

function run(dataDir: string, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child], {
      env: {
        ...process.env,
        JOBS_DATA_DIR: dataDir,
        JOBS_SANDBOX: JSON.stringify({ baseURL: sandbox.baseURL, apiKey: sandbox.apiKey, apiSecret: sandbox.apiSecret }),
        JOBS_CIDS: JSON.stringify(cids),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

const boundaries: [string, number][] = [
  ['created', 1],
  ['requested', 1],
  ['waiting', 2],
  ['downloading', 1],
  ['mid-download', 1],
  ['verifying', 2],
  ['importing', 1],
  ['done', 1],
  ['queued', 1], // a job sent back to queued after Stream failed its task (fault below)
];

describe('SIGKILL at every state boundary', () => {
  let reference: { counts: Record<string, number>; digest: Record<string, string> };
  beforeAll(() => {
    const want = expectedDigest(sandbox.dataset, cids);
    reference = { counts: want.counts, digest: want.digest };
  });

  for (const [state, nth] of boundaries) {
    it(`resumes after a kill at ${state} (#${nth})`, async () => {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `archivist-kill-${state}-`));
      sandbox.control.clearFaults();
      // A dropped download in every run, so resuming is part of every path; a failed task to
      // reach the queued boundary (a job goes back to queued to ask Stream again).
      sandbox.control.addFaults(state === 'queued' ? 'drop:count=1:fraction=0.3,fail-task:count=1' : 'drop:count=1:fraction=0.3');
      try {
        const first = await run(dataDir, { JOBS_DIE_AT: state, JOBS_DIE_NTH: String(nth) });
        expect(first.signal, first.err).toBe('SIGKILL');
        const second = await run(dataDir, {});
        expect(second.code, second.err).toBe(0);
        const view = JSON.parse(second.out) as CollectionView;
        expect(view.summary).toBeNull();
        expect(view.state).toBe('complete');
        const got = archiveDigest(dataDir);
        expect(got.duplicates).toBe(0);
        expect(got.counts).toEqual(reference.counts);
        expect(got.digest).toEqual(reference.digest);
        // Evidence on disk matches the records; no temp files left.
        const db = new Database(path.join(dataDir, 'state.db'), { readonly: true });
        const records = db.prepare('SELECT sha256, size, path FROM evidence_records').all() as { sha256: string; size: number; path: string }[];
        const report = JSON.parse((db.prepare('SELECT report_json FROM collections').get() as { report_json: string }).report_json);
        db.close();
        expect(report.complete).toBe(true);
        expect(report.targets.every((t: { status: string }) => t.status === 'ok')).toBe(true);
        expect(records.length).toBeGreaterThanOrEqual(view.jobs.length);
        for (const r of records) expect((await hashFile(path.join(dataDir, r.path))).sha256).toBe(r.sha256);
        expect(await fs.readdir(path.join(dataDir, 'tmp'))).toEqual([]);
      } finally {
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    }, 30_000);
  }
});

/**
 * `archivist export | jobs | report` as a user runs them: `node bin/archivist.js` against a
 * sandbox profile.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileService } from '../../main/core/profiles/index.ts';
import { MemorySecretStore } from '../../main/core/secrets/index.ts';
import { openStateDb } from '../../main/core/state/index.ts';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';
import { archiveDigest, expectedDigest } from './helpers/archive-digest.ts';
import { sandboxOptions } from './helpers/jobs-sandbox.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/archivist.js');
let sandbox: Sandbox;
let dataDir: string;

beforeAll(async () => {
  sandbox = await startSandbox(sandboxOptions({ rateWindowMs: undefined, messages: 1500, channels: 40 }));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'archivist-jobs-cli-'));
  const db = openStateDb(dataDir);
  new ProfileService({ db, secrets: new MemorySecretStore() }).ensureSandbox({ name: 'Sandbox', api_key: sandbox.apiKey, base_url: sandbox.baseURL });
  db.close();
});
afterAll(async () => {
  await sandbox?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args, '--data-dir', dataDir], {
      env: {
        ...process.env,
        ARCHIVIST_SANDBOX_SECRET: sandbox.apiSecret,
        ARCHIVIST_JOBS_LIMITS: JSON.stringify({ pollInitialMs: 50, pollMaxMs: 200, tickMs: 100 }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('archivist export / jobs / report', () => {
  it('exports channels with --wait, lists the jobs and prints a complete report', async () => {
    const cids = sandbox.dataset.channels.filter((c) => !c.deleted_at).map((c) => c.cid).slice(0, 30);
    const r = await cli(['export', 'channels', '--profile', 'sandbox', '--cid', cids.join(','), '--wait', '--json']);
    expect(r.code, r.err).toBe(0);
    const col = JSON.parse(r.out);
    expect(col.state).toBe('complete');
    expect(col.jobs).toHaveLength(2);
    expect(col.report.complete).toBe(true);
    expect(r.out).not.toContain(sandbox.apiSecret);
    const want = expectedDigest(sandbox.dataset, cids);
    expect(archiveDigest(dataDir).digest).toEqual(want.digest);

    const list = await cli(['jobs', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).collections[0]).toMatchObject({ id: col.id, state: 'complete' });

    const rep = await cli(['report', col.id, '--json']);
    expect(rep.code).toBe(0);
    const report = JSON.parse(rep.out);
    expect(report.targets).toHaveLength(30);
    expect(report.report_sha256).toMatch(/^[0-9a-f]{64}$/);

    const human = await cli(['report', col.id]);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/complete/);
    expect(human.out).toMatch(/Report SHA-256/);
  }, 60_000);

  it('exits non-zero with --wait when the collection has a gap, and explains it', async () => {
    const r = await cli(['export', 'channels', '--profile', 'Sandbox', '--cid', 'messaging:does-not-exist', '--wait']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/incomplete/);
    expect(r.out).toMatch(/does-not-exist/);
  }, 30_000);

  it('queues without --wait; retry/cancel/remove by id; clear errors', async () => {
    const users = sandbox.dataset.users.slice(0, 3).map((u) => u.id);
    const q = await cli(['export', 'users', '--profile', 'sandbox', '--user', users[0], '--user', users.slice(1).join(','), '--json']);
    expect(q.code, q.err).toBe(0);
    const col = JSON.parse(q.out);
    expect(col.jobs[0]).toMatchObject({ state: 'queued', targets: users });
    const c = await cli(['jobs', 'cancel', col.id, '--json']);
    expect(JSON.parse(c.out).jobs[0].state).toBe('cancelled');
    const rm = await cli(['jobs', 'remove', col.jobs[0].id]);
    expect(rm.code).toBe(0);
    expect((await cli(['jobs', 'retry', 'job_nope'])).code).toBe(1);
    const bad = await cli(['export', 'channels', '--profile', 'nobody', '--all']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/no profile "nobody"/);
    const usage = await cli(['export', 'channels', '--profile', 'sandbox', '--all', '--cid', 'a:b']);
    expect(usage.code).toBe(2);

    // Queued work runs with `jobs run` (what cron / the OS scheduler calls).
    const cid = sandbox.dataset.channels.filter((ch) => !ch.deleted_at)[35].cid;
    const queued = await cli(['export', 'channels', '--profile', 'sandbox', '--cid', cid]);
    expect(queued.code, queued.err).toBe(0);
    expect(queued.out).toMatch(/jobs run/);
    const ran = await cli(['jobs', 'run', '--json']);
    expect(ran.code, ran.err).toBe(0);
    expect(JSON.parse(ran.out).collections.map((x: { state: string }) => x.state)).toEqual(['complete']);
  }, 30_000);
});

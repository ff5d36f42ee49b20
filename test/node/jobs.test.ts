/**
 * Job engine behaviours against the sandbox (real HTTP, real stream-chat SDK, real SQLite):
 * batching, progress, evidence, completeness, Stream-side failures, unknown channels, disk full,
 * cancel/retry/remove, --all and user exports.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobHooks, JobLimits } from '../../main/core/jobs/engine.ts';
import { hashFile } from '../../main/core/evidence/store.ts';
import type { JobProgressEvent } from '../../main/core/jobs/types.ts';
import type { SandboxOptions } from '../../main/sandbox/server/index.ts';
import { archiveDigest, expectedDigest } from './helpers/archive-digest.ts';
import { sandboxEnv, type SandboxEnv } from './helpers/jobs-sandbox.ts';

type Env = SandboxEnv & { events: JobProgressEvent[] };
const open: Env[] = [];

async function setup(o: { sandbox?: Partial<SandboxOptions>; hooks?: JobHooks; limits?: Partial<JobLimits> } = {}): Promise<Env> {
  const base = await sandboxEnv(o);
  const events: JobProgressEvent[] = [];
  base.engine.on('progress', (e) => events.push(e));
  const env = Object.assign(base, { events });
  open.push(env);
  return env;
}

afterEach(async () => {
  for (const e of open.splice(0)) await e.close();
});

const liveCids = (e: Env) => e.sandbox.dataset.channels.filter((c) => !c.deleted_at).map((c) => c.cid);

async function expectIdentical(env: Env, cids: string[]) {
  const want = expectedDigest(env.sandbox.dataset, cids);
  const got = archiveDigest(env.dataDir);
  expect(got.duplicates).toBe(0);
  expect(got.counts).toEqual(want.counts);
  expect(got.digest).toEqual(want.digest);
}

async function expectEvidenceIntact(env: Env, collectionId: string) {
  const report = await env.engine.report(collectionId);
  expect(report.evidence.length).toBeGreaterThan(0);
  for (const ev of report.evidence) {
    const h = await hashFile(path.join(env.dataDir, ev.path));
    expect(h.sha256).toBe(ev.sha256);
    expect(h.size).toBe(ev.size);
    expect(ev.url_host).toBe(new URL(env.sandbox.baseURL).host);
    expect(JSON.stringify(ev)).not.toMatch(/sig=|signature=/);
    expect((await fs.stat(path.join(env.dataDir, ev.path))).mode & 0o222).toBe(0);
  }
  return report;
}

describe('job engine', () => {
  it('collects channels in batches of 25 and proves the archive complete', async () => {
    const env = await setup();
    const cids = liveCids(env);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { cids } });
    expect(col.jobs.length).toBe(Math.ceil(cids.length / 25));
    expect(col.jobs.every((j) => j.targets.length <= 25)).toBe(true);
    const done = await env.engine.waitFor(col.id);
    expect(done.summary).toBeNull();
    expect(done.state).toBe('complete');
    expect(done.jobs.every((j) => j.state === 'done')).toBe(true);
    await expectIdentical(env, cids);
    const report = await expectEvidenceIntact(env, col.id);
    expect(report.complete).toBe(true);
    expect(report.gaps).toEqual([]);
    expect(report.targets.map((t) => t.target).sort()).toEqual([...cids].sort());
    expect(report.targets.every((t) => t.status === 'ok' && t.messages_in_file === t.messages_in_archive)).toBe(true);
    expect(report.evidence[0].request).toMatchObject({ version: 'v2', clear_deleted_message_text: false, include_truncated_messages: false });
    // Progress went through every state and reported bytes.
    const states = new Set(env.events.filter((e) => e.scope === 'job').map((e) => e.state));
    for (const s of ['requested', 'waiting', 'downloading', 'verifying', 'importing', 'done']) expect(states).toContain(s);
    const last = env.events.filter((e) => e.scope === 'collection').at(-1);
    expect(last).toMatchObject({ state: 'complete' });
  });

  it('reports a task Stream fails, with its reason, without holding up the other jobs; retry completes it', async () => {
    // Stream fails the first two tasks: the first job (1 task in flight) gives up after 2 attempts.
    const env = await setup({ sandbox: { faults: 'fail-task:count=2' }, limits: { maxTasksInFlight: 1, maxTaskAttempts: 2 } });
    const cids = liveCids(env);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { cids } });
    const done = await env.engine.waitFor(col.id);
    expect(done.state).toBe('incomplete');
    const failed = done.jobs.filter((j) => j.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].seq).toBe(1);
    expect(failed[0].error).toMatchObject({ code: 'stream_task_failed', step: 'waiting' });
    const task = env.sandbox.control.task(failed[0].task_id!)!;
    expect(task.status).toBe('failed');
    expect(failed[0].error!.message).toContain(task.error!.description);
    expect(done.jobs.filter((j) => j.state === 'done')).toHaveLength(done.jobs.length - 1);
    const report = await env.engine.report(col.id);
    expect(report.complete).toBe(false);
    expect(report.gaps.join('\n')).toContain(task.error!.description);
    for (const cid of failed[0].targets) expect(report.targets.find((t) => t.target === cid)?.status).toBe('failed');

    const retried = env.engine.retry(failed[0].id);
    expect(retried[0].state).toBe('queued');
    const again = await env.engine.waitFor(col.id);
    expect(again.state).toBe('complete');
    await expectIdentical(env, cids);
  });

  it('leaves out a channel Stream does not know, exports the rest and reports it', async () => {
    const env = await setup();
    const cids = liveCids(env).slice(0, 10);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { cids: [...cids, 'messaging:no-such-channel'] } });
    const done = await env.engine.waitFor(col.id);
    expect(done.state).toBe('incomplete');
    expect(done.jobs[0].state).toBe('done');
    const report = await env.engine.report(col.id);
    expect(report.targets.find((t) => t.target === 'messaging:no-such-channel')).toMatchObject({ status: 'missing' });
    expect(report.gaps).toHaveLength(1);
    expect(report.gaps[0]).toMatch(/Can't find channel with id messaging:no-such-channel/);
    expect((report.evidence[0].request.channels as unknown[]).length).toBe(10);
    await expectIdentical(env, cids);
  });

  it('pauses on a full disk with a clear message and resumes on retry', async () => {
    let full = true;
    const env = await setup({
      hooks: {
        beforeWrite: (_id, offset) => {
          if (full && offset > 1000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
        },
      },
    });
    const cids = liveCids(env).slice(0, 30);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { cids } });
    const paused = await env.engine.waitFor(col.id);
    expect(paused.state).toBe('paused');
    expect(paused.summary).toMatch(/disk is full/);
    const pj = paused.jobs.find((j) => j.state === 'paused')!;
    expect(pj.step).toBe('downloading');
    expect(pj.error).toMatchObject({ code: 'disk_full' });
    full = false;
    env.engine.retry(col.id);
    const done = await env.engine.waitFor(col.id);
    expect(done.state).toBe('complete');
    await expectIdentical(env, cids);
  });

  it('cancels a collection, keeps stored evidence, and retries it to completion', async () => {
    const env = await setup({ limits: { maxTasksInFlight: 1 } });
    const cids = liveCids(env);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { cids } });
    // Let the first job finish, then cancel the rest.
    await new Promise<void>((resolve) => {
      const off = env.engine.on('progress', (e) => {
        if (e.scope === 'job' && e.state === 'done') {
          off();
          resolve();
        }
      });
    });
    const cancelled = env.engine.cancel(col.id);
    expect(cancelled.length).toBeGreaterThan(0);
    const v = await env.engine.waitFor(col.id);
    expect(v.state).toBe('cancelled');
    expect(v.jobs.filter((j) => j.state === 'done').length).toBeGreaterThanOrEqual(1);
    const evidenceBefore = (await fs.readdir(path.join(env.dataDir, 'evidence'))).length;
    expect(evidenceBefore).toBeGreaterThanOrEqual(1);
    // Remove a cancelled job: evidence stays.
    const cj = v.jobs.find((j) => j.state === 'cancelled')!;
    expect(() => env.engine.remove(v.jobs.find((j) => j.state === 'done')!.id)).not.toThrow();
    expect((await fs.readdir(path.join(env.dataDir, 'evidence'))).length).toBe(evidenceBefore);
    env.engine.retry(col.id);
    const done = await env.engine.waitFor(col.id);
    expect(done.jobs.find((j) => j.id === cj.id)?.state).toBe('done');
    // One job was removed: its channels are reported as a gap.
    expect(done.state).toBe('incomplete');
    expect(done.summary).toMatch(/job was removed/);
  });

  it('resolves --all through the channel listing and exports users', async () => {
    const env = await setup();
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'p', channels: { all: true }, format: 'v1' });
    const done = await env.engine.waitFor(col.id);
    expect(done.state).toBe('complete');
    expect(done.totals.targets).toBe(liveCids(env).length);
    await expectIdentical(env, liveCids(env));

    const users = env.sandbox.dataset.users.slice(0, 30).map((u) => u.id);
    const uc = await env.engine.createCollection({ kind: 'users', profile_id: 'p', user_ids: users });
    expect(uc.jobs.map((j) => j.targets.length)).toEqual([25, 5]);
    const ud = await env.engine.waitFor(uc.id);
    const report = await env.engine.report(uc.id);
    expect(report.targets.filter((t) => t.status !== 'ok')).toEqual([]);
    expect(ud.state).toBe('complete');
  });
});

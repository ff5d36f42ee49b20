/**
 * The engine against the sandbox Stream server over real HTTP with the real stream-chat SDK,
 * with every fault the sandbox offers switched on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashFile } from '../../main/core/evidence/store.ts';
import { archiveDigest, expectedDigest } from './helpers/archive-digest.ts';
import { sandboxEnv, type SandboxEnv } from './helpers/jobs-sandbox.ts';

let env: SandboxEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

describe('job engine against the sandbox', () => {
  it('collects 300 channels under 429 storms, 5xx, failed tasks, early expiry, drops and truncation', async () => {
    env = await sandboxEnv({
      sandbox: {
        messages: 6000,
        channels: 320,
        faults: [
          '429:for=1500ms', // a storm on the export endpoints right at the start
          '5xx:rate=0.08:status=503',
          'fail-task:count=2',
          'expire:count=3:ttl=0ms',
          'drop:count=3:fraction=0.5',
          'truncate:count=2:fraction=0.5',
        ].join(','),
      },
    });
    const ds = env.sandbox.dataset;
    const cids = ds.channels.filter((c) => !c.deleted_at).map((c) => c.cid).slice(0, 300);
    expect(cids).toHaveLength(300);
    const col = await env.engine.createCollection({ kind: 'channels', profile_id: 'sandbox', channels: { cids } });
    expect(col.jobs).toHaveLength(12);
    const done = await env.engine.waitFor(col.id);
    expect(done.summary).toBeNull();
    expect(done.state).toBe('complete');

    // The archive is the source data, exactly.
    const want = expectedDigest(ds, cids);
    const got = archiveDigest(env.dataDir);
    expect(got.duplicates).toBe(0);
    expect(got.total).toBe(want.total);
    expect(got.counts).toEqual(want.counts);
    expect(got.digest).toEqual(want.digest);

    // Every evidence file is what its record says, read-only, without signed URLs.
    const report = await env.engine.report(col.id);
    expect(report.complete).toBe(true);
    expect(report.targets).toHaveLength(300);
    expect(report.targets.every((t) => t.status === 'ok' && t.in_file)).toBe(true);
    for (const ev of report.evidence) {
      const h = await hashFile(path.join(env.dataDir, ev.path));
      expect(h.sha256).toBe(ev.sha256);
      expect(h.size).toBe(ev.size);
      expect(ev.url_host).toBe(new URL(env.sandbox.baseURL).host);
      expect(ev.task_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(JSON.stringify(report)).not.toMatch(/sig=|signature|expires=/i);
    // Nothing half-downloaded is left behind.
    expect(await fs.readdir(path.join(env.dataDir, 'tmp'))).toEqual([]);
    // Dropped downloads resumed with Range rather than starting over.
    const resumed = env.db.prepare(`SELECT count(*) AS n FROM job_log WHERE message LIKE '%resumed at%'`).get() as { n: number };
    expect(resumed.n).toBeGreaterThanOrEqual(1);
    // The faults really happened.
    const stats = env.sandbox.control.stats();
    for (const k of ['429', '5xx', 'fail-task', 'expire', 'drop', 'truncate']) expect(stats.faults[k] ?? 0, k).toBeGreaterThan(0);
  }, 60_000);
});

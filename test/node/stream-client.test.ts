/**
 * The export client (main/core/stream) over real HTTP against the sandbox, through the official
 * stream-chat SDK. Rate-limit windows are scaled down (6 s "minutes", 100 ms bursts) on both
 * sides so the suite stays fast while exercising the same arithmetic.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import { startSandbox, signJwt, type Sandbox } from '../../main/sandbox/server/index.ts';
import { createStreamClient, RateLimiter, StreamError, readRateLimitHeaders, type StreamClientEvent } from '../../main/core/stream/index.ts';

const WINDOW = { rateWindowMs: 6000, burstWindowMs: 100 };
const fastRetry = { baseMs: 20, maxMs: 300, maxAttempts: 10 };

function clientFor(sb: Sandbox, extra: Partial<Parameters<typeof createStreamClient>[0]> = {}) {
  return createStreamClient({
    apiKey: sb.apiKey,
    apiSecret: sb.apiSecret,
    baseURL: sb.baseURL,
    limiter: new RateLimiter({ windowMs: WINDOW.rateWindowMs, burstWindowMs: WINDOW.burstWindowMs }),
    pollIntervalMs: 20,
    retry: fastRetry,
    timeoutMs: 5000,
    ...extra,
  });
}

async function caught(p: Promise<unknown>): Promise<StreamError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StreamError);
    return e as StreamError;
  }
  throw new Error('expected a StreamError');
}

describe('rate limiter', () => {
  it('never grants more than the burst per sliding second nor the limit per sliding minute', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({
      limits: { X: { perMinute: 6, perSecond: 2 } },
      safetyMs: 0,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const grants: number[] = [];
    for (let i = 0; i < 14; i++) {
      const release = await limiter.acquire('X');
      grants.push(now);
      now += 30; // the answer takes 30 ms
      release();
    }
    for (let i = 0; i < grants.length; i++) {
      expect(grants.filter((t) => t > grants[i] - 1000 && t <= grants[i]).length).toBeLessThanOrEqual(2);
      expect(grants.filter((t) => t > grants[i] - 60_000 && t <= grants[i]).length).toBeLessThanOrEqual(6);
    }
    // 6 in the first window (3 bursts), the 7th only a minute after the 1st came back.
    expect(grants[6] - grants[0]).toBeGreaterThanOrEqual(60_030);
    // Arrival can be anywhere up to the answer: spacing counts from answers, not sends.
    expect(grants[2] - grants[0]).toBeGreaterThanOrEqual(1030);
  });

  it('waits for requests in flight before reusing their slot', async () => {
    const limiter = new RateLimiter({ limits: { Z: { perMinute: 60, perSecond: 1, burstWindowMs: 50 } } });
    const first = await limiter.acquire('Z');
    let second = false;
    const next = limiter.acquire('Z').then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 120));
    expect(second).toBe(false); // the first is still in flight
    const t = Date.now();
    first();
    (await next)();
    expect(second).toBe(true);
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
  });

  it('serves waiters in order, learns limits and honours Remaining: 0 until Reset', async () => {
    let now = 5_000_000;
    const limiter = new RateLimiter({ now: () => now, sleep: async (ms) => void (now += ms), safetyMs: 0 });
    expect(limiter.limit('ExportChannels')).toMatchObject({ perMinute: 60, perSecond: 2 });
    limiter.observe('GetTask', { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '299', 'x-ratelimit-reset': String(now / 1000 + 60) });
    expect(limiter.limit('GetTask')).toMatchObject({ perMinute: 300, perSecond: 10 });
    limiter.observe('ExportUsers', { 'X-RateLimit-Limit': '60, 60', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(now / 1000 + 20) });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => limiter.acquire('ExportUsers').then((release) => (order.push(i), release()))));
    expect(order).toEqual([1, 2, 3]);
    expect(now).toBeGreaterThanOrEqual(5_000_000 + 20_000);
    expect(readRateLimitHeaders({ 'x-ratelimit-reset': '12' }).resetMs).toBe(12_000);
  });

  it('an aborted wait rejects and frees the queue', async () => {
    const limiter = new RateLimiter({ limits: { Y: { perMinute: 60, perSecond: 1, burstWindowMs: 200 } } });
    (await limiter.acquire('Y'))();
    const ac = new AbortController();
    const waiting = limiter.acquire('Y', ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    (await limiter.acquire('Y'))(); // still usable
  });
});

describe('stream export client', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 21, messages: 12_000, channels: 1100, users: 260, ...WINDOW, latency: { pendingMs: 20, runningMs: 30 } });
  });
  afterAll(() => sb?.close());

  it('testConnection proves the credentials and primes the limiter', async () => {
    const c = clientFor(sb);
    const res = await c.testConnection();
    expect(res.ok).toBe(true);
    expect(res.limits.ExportChannels.limit).toBe(60);
    expect(c.limiter.limit('GetTask').perMinute).toBe(600);
  });

  it('maps auth and availability failures to actionable, secret-free errors', async () => {
    const wrongSecret = 'definitely-not-the-secret-123';
    const bad = await caught(createStreamClient({ apiKey: sb.apiKey, apiSecret: wrongSecret, baseURL: sb.baseURL, retry: fastRetry }).testConnection());
    expect(bad.kind).toBe('bad_secret');
    expect(bad.message).toMatch(/secret/i);
    const token = signJwt({ server: true }, wrongSecret);
    for (const text of [bad.message, JSON.stringify(bad), String(bad.stack)]) {
      expect(text).not.toContain(wrongSecret);
      expect(text).not.toContain(token);
    }
    const key = await caught(createStreamClient({ apiKey: 'nope', apiSecret: sb.apiSecret, baseURL: sb.baseURL, retry: fastRetry }).testConnection());
    expect(key.kind).toBe('bad_key');
    expect(key.message).toMatch(/API key/);
    sb.control.suspend(true);
    try {
      expect((await caught(clientFor(sb).testConnection())).kind).toBe('suspended');
    } finally {
      sb.control.suspend(false);
    }
    // Nothing listens there: a network error after the retries.
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    await new Promise((r) => dead.close(r));
    const events: StreamClientEvent[] = [];
    const net = await caught(
      createStreamClient({ apiKey: sb.apiKey, apiSecret: sb.apiSecret, baseURL: `http://127.0.0.1:${port}`, retry: { ...fastRetry, maxAttempts: 2 }, onEvent: (e) => events.push(e) }).testConnection(),
    );
    expect(net.kind).toBe('network');
    expect(net.message).toContain(`127.0.0.1:${port}`);
    expect(net.message).toMatch(/connection refused/);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('times out slow answers, retrying, then reports a timeout', async () => {
    sb.control.addFaults('slow:count=2:delay=600ms:endpoints=GetRateLimits');
    const events: StreamClientEvent[] = [];
    const err = await caught(clientFor(sb, { timeoutMs: 150, retry: { ...fastRetry, maxAttempts: 2 }, onEvent: (e) => events.push(e) }).testConnection());
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/did not answer within/);
    expect(events.some((e) => e.type === 'retry' && e.error.kind === 'timeout')).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
  });

  it('retries 5xx and dropped connections transparently', async () => {
    sb.control.addFaults('5xx:count=2:status=503:endpoints=GetRateLimits,hangup:count=1:endpoints=GetRateLimits');
    const events: StreamClientEvent[] = [];
    await clientFor(sb, { onEvent: (e) => events.push(e) }).testConnection();
    const kinds = events.filter((e) => e.type === 'retry').map((e) => (e as { error: StreamError }).error.kind);
    expect(kinds.sort()).toEqual(['network', 'server', 'server']);
  });

  it('honours X-RateLimit-Reset on 429 and explains when it retries', async () => {
    sb.control.addFaults({ kind: '429', forMs: 1200, endpoints: ['ExportUsers'] });
    const stormEnd = Date.now() + 1200;
    const events: StreamClientEvent[] = [];
    const c = clientFor(sb, { onEvent: (e) => events.push(e) });
    const res = await c.exportUsers([sb.dataset.users[0].id]);
    expect(res.task_id).toBeTruthy();
    expect(Date.now()).toBeGreaterThanOrEqual(Math.floor(stormEnd / 1000) * 1000);
    const retry = events.find((e) => e.type === 'retry') as { error: StreamError };
    expect(retry.error.kind).toBe('rate_limited');
    expect(retry.error.message).toMatch(/^Rate limited by Stream while trying to export 1 user — retrying at \d{2}:\d{2}(:\d{2})?\.$/);
    expect(retry.error.retryAt).toBeGreaterThan(Date.now() - 5000);
    expect(res.warnings[0]).toMatch(/10,000 messages per user/);
    expect(events.some((e) => e.type === 'warning')).toBe(true);
  });

  it('enumerates channels past the 1000-offset cap by narrowing on created_at, and users by id', async () => {
    const c = clientFor(sb);
    sb.control.resetStats();
    const cids = await c.listChannelCids();
    const live = sb.dataset.channels.filter((ch) => !ch.deleted_at).map((ch) => ch.cid);
    expect(live.length).toBeGreaterThan(1000);
    expect(new Set(cids).size).toBe(cids.length);
    expect([...cids].sort()).toEqual([...live].sort());
    const offsets = sb.control.requests().filter((r) => r.endpoint === 'QueryChannels' && r.status !== 201);
    expect(offsets).toEqual([]);
    const team = await c.listChannelCids({ type: 'team' });
    expect([...team].sort()).toEqual(sb.dataset.channels.filter((ch) => !ch.deleted_at && ch.type === 'team').map((ch) => ch.cid).sort());
    const users = await c.listUserIds();
    expect([...users].sort()).toEqual(sb.dataset.users.map((u) => u.id).sort());
    expect(users.length).toBe(260);
    expect(sb.control.stats().totalViolations).toBe(0);
  });

  it('refuses batches over 25, sends clear_deleted_message_text false, and names unknown channels', async () => {
    const c = clientFor(sb);
    const tooMany = await caught(c.exportChannels(sb.dataset.channels.slice(0, 26).map((ch) => ({ cid: ch.cid })), { version: 'v2', include_soft_deleted_channels: false, include_truncated_messages: false }));
    expect(tooMany.kind).toBe('invalid_request');
    expect((await caught(c.exportUsers(sb.dataset.users.slice(0, 26).map((u) => u.id)))).kind).toBe('invalid_request');
    const unknown = await caught(c.exportChannels([{ cid: sb.dataset.channels[0].cid }, { cid: 'messaging:ghost' }], { version: 'v2', include_soft_deleted_channels: true, include_truncated_messages: true }));
    expect(unknown.kind).toBe('unknown_channel');
    expect(unknown.cid).toBe('messaging:ghost');
    // The jobs engine recognises Stream's words in the message.
    expect(/Can't find channel with id "?([^\s"]+)"?/.exec(unknown.message)?.[1]).toBe('messaging:ghost');
    expect(c.classifyError(unknown).kind).toBe('fatal');
    const ok = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }], { version: 'v1', include_soft_deleted_channels: true, include_truncated_messages: true, clear_deleted_message_text: false });
    const task = sb.control.task(ok.task_id)!;
    expect(task.channels).toMatchObject({ version: 'v1', clear_deleted_message_text: false, include_soft_deleted_channels: true });
  });

  it('gets task status via the export route, falls back to GetTask, and classifies a lost task', async () => {
    const c = clientFor(sb);
    const { task_id } = await c.exportChannels([{ cid: sb.dataset.channels[1].cid }], { version: 'v2', include_soft_deleted_channels: false, include_truncated_messages: false });
    const st = await c.waitForTask(task_id, 'channels');
    expect(st.status).toBe('completed');
    expect(st.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exports\/channels\//);
    expect(st.error).toBeNull();
    const lost = await caught(c.getTask('00000000-0000-4000-8000-000000000000', 'channels'));
    expect(lost.kind).toBe('not_found');
    expect(c.classifyError(lost).kind).toBe('task_not_found');

    const noRoute = await startSandbox({ messages: 200, channels: 4, users: 8, statusRoute: false, latency: { pendingMs: 5, runningMs: 5 } });
    try {
      const events: StreamClientEvent[] = [];
      const c2 = clientFor(noRoute, { onEvent: (e) => events.push(e) });
      const t = await c2.exportChannels([{ cid: noRoute.dataset.channels[0].cid }], { version: 'v2', include_soft_deleted_channels: false, include_truncated_messages: false });
      const done = await c2.waitForTask(t.task_id, 'channels');
      expect(done.status).toBe('completed');
      expect(events.filter((e) => e.type === 'fallback')).toHaveLength(1); // remembered after the first miss
      expect(noRoute.control.requests().filter((r) => r.endpoint === 'GetTask').length).toBeGreaterThan(0);
    } finally {
      await noRoute.close();
    }
  });

  it('ignores STREAM_LOCAL_TEST_HOST / STREAM_LOCAL_TEST_RUN', async () => {
    const saved = { host: process.env.STREAM_LOCAL_TEST_HOST, run: process.env.STREAM_LOCAL_TEST_RUN };
    process.env.STREAM_LOCAL_TEST_HOST = '127.0.0.1:9';
    process.env.STREAM_LOCAL_TEST_RUN = '1';
    try {
      const c = clientFor(sb);
      expect(c.baseURL).toBe(sb.baseURL);
      expect((await c.testConnection()).ok).toBe(true);
    } finally {
      if (saved.host === undefined) delete process.env.STREAM_LOCAL_TEST_HOST;
      else process.env.STREAM_LOCAL_TEST_HOST = saved.host;
      if (saved.run === undefined) delete process.env.STREAM_LOCAL_TEST_RUN;
      else process.env.STREAM_LOCAL_TEST_RUN = saved.run;
    }
  });
});

describe('exporting 250 channels and 60 users under a 429 storm and 5xx faults', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ seed: 5, messages: 6000, channels: 270, users: 80, ...WINDOW, latency: { pendingMs: 30, runningMs: 60 } });
  });
  afterAll(() => sb?.close());

  it('loses no batch and never exceeds the limits', async () => {
    const c = clientFor(sb);
    const cids = (await c.listChannelCids()).slice(0, 250);
    const userIds = (await c.listUserIds()).slice(0, 60);
    expect(cids).toHaveLength(250);
    sb.control.resetStats();
    sb.control.addFaults(
      [
        '429:for=1500ms', // storm on both export endpoints
        '5xx:rate=0.25:endpoints=ExportChannels|ExportUsers|GetExportChannelsStatus|GetTask',
        '5xx:count=2:status=502:endpoints=ExportChannels',
        'hangup:count=2:endpoints=ExportChannels|GetExportChannelsStatus',
        'fail-task:count=2',
      ].join(','),
    );
    const started = Date.now();
    const results = await c.exportAll({ channels: cids.map((cid) => ({ cid })), userIds, options: { version: 'v2' } });
    const stats = sb.control.stats();
    expect(stats.violations).toEqual({});
    expect(stats.totalViolations).toBe(0);
    expect(stats.faults['429']).toBeGreaterThan(0);
    expect(stats.faults['5xx']).toBeGreaterThan(0);
    expect(stats.faults['fail-task']).toBe(2);
    expect(results.filter((r) => r.kind === 'channels')).toHaveLength(10);
    expect(results.filter((r) => r.kind === 'users')).toHaveLength(3);
    expect(results.filter((r) => r.attempts > 1)).toHaveLength(2);
    expect(results.flatMap((r) => (r.kind === 'channels' ? r.ids : [])).sort()).toEqual([...cids].sort());
    expect(results.flatMap((r) => (r.kind === 'users' ? r.ids : [])).sort()).toEqual([...userIds].sort());

    // Every file is there and holds exactly its batch.
    sb.control.clearFaults();
    const inFiles = { channels: [] as string[], users: [] as string[] };
    for (const r of results) {
      const res = await fetch(r.url);
      expect(res.status).toBe(200);
      let buf = Buffer.from(await res.arrayBuffer());
      if (buf[0] === 0x1f) buf = zlib.gunzipSync(buf);
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        const row = JSON.parse(line);
        if (r.kind === 'channels' && row.type === 'channel') inFiles.channels.push(row.data.cid);
        if (r.kind === 'users' && row.type === 'user') inFiles.users.push(row.data.id);
      }
    }
    const exportable = cids.filter((cid) => !sb.dataset.channelByCid(cid)!.deleted_at);
    expect(inFiles.channels.sort()).toEqual(exportable.sort());
    expect(inFiles.users.sort()).toEqual([...userIds].sort());
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

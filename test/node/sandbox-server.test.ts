/**
 * The sandbox's wire behaviour, asserted against ../shared/docs/stream-export-api.md, with the
 * real stream-chat SDK over HTTP (and raw fetch where the SDK cannot send what we need to test).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { StreamChat } from 'stream-chat';
import { startSandbox, manualClock, signJwt, parseFaults, type Sandbox } from '../../main/sandbox/server/index.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function sdk(sb: Sandbox, opts: { secret?: string; key?: string; timeout?: number } = {}): StreamChat {
  const c = new StreamChat(opts.key ?? sb.apiKey, opts.secret ?? sb.apiSecret, { baseURL: sb.baseURL, timeout: opts.timeout ?? 5000, browser: false });
  c.setBaseURL(sb.baseURL);
  return c;
}

interface RawOpts {
  method?: string;
  body?: unknown;
  token?: string | null;
  apiKey?: string | null;
  authType?: string | null;
  query?: Record<string, string>;
}

async function raw(sb: Sandbox, p: string, o: RawOpts = {}) {
  const url = new URL(sb.baseURL + p);
  if (o.apiKey !== null) url.searchParams.set('api_key', o.apiKey ?? sb.apiKey);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.authType !== null) headers['stream-auth-type'] = o.authType ?? 'jwt';
  if (o.token !== null) headers.authorization = o.token ?? signJwt({ server: true }, sb.apiSecret);
  const res = await fetch(url, { method: o.method ?? (o.body ? 'POST' : 'GET'), headers, body: o.body ? JSON.stringify(o.body) : undefined });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
}

async function untilCompleted(c: StreamChat, id: string, kind: 'channels' | 'users' = 'channels') {
  const seen: string[] = [];
  for (let i = 0; i < 500; i++) {
    const st = (kind === 'channels' ? await c.getExportChannelStatus(id) : await c.getTask(id)) as Record<string, any>;
    if (seen.at(-1) !== st.status) seen.push(st.status);
    if (st.status === 'completed' || st.status === 'failed') return { st, seen };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('task never finished');
}

function expectErrorBody(body: Record<string, any>, status: number, code: number) {
  expect(body.code).toBe(code);
  expect(body.StatusCode).toBe(status);
  expect(typeof body.message).toBe('string');
  expect(body.duration).toMatch(/^\d+\.\d+ms$/);
  expect(body.more_info).toBe('https://getstream.io/chat/docs/api_errors_response');
  expect(body.details).toEqual([]);
}

function expectRateHeaders(h: Headers) {
  expect(h.get('x-ratelimit-limit')).toMatch(/^\d+$/);
  expect(h.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
  expect(h.get('x-ratelimit-reset')).toMatch(/^\d{10}$/);
}

describe('sandbox server', () => {
  let sb: Sandbox;
  let client: StreamChat;
  const clock = manualClock(Date.UTC(2026, 0, 10, 12, 0, 0));

  beforeAll(async () => {
    // The hand-moved clock freezes rate-limit windows: lift the export limits here (they have
    // their own suite below, on real time).
    const lifted = { limit: 100_000, burst: 100_000 };
    sb = await startSandbox({
      seed: 3, messages: 4000, channels: 40, users: 60, clock, latency: { pendingMs: 30, runningMs: 30 },
      rateLimits: { ExportChannels: lifted, ExportUsers: lifted, ExportUser: lifted, GetTask: lifted, GetExportChannelsStatus: lifted },
    });
    client = sdk(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  describe('auth (spec §1.2, §8)', () => {
    it('accepts the SDK server token and records its headers', async () => {
      await client.queryChannelsRequest({}, [], { limit: 1, message_limit: 0 });
      const last = sb.control.requests().at(-1)!;
      expect(last.endpoint).toBe('QueryChannels');
      expect(last.headers['stream-auth-type']).toBe('jwt');
      expect(String(last.headers['x-stream-client'])).toMatch(/^stream-chat-js-v9\.53\.0-node/);
      expect(last.headers.authorization).toBeUndefined(); // never kept
    });

    it('missing or wrong api_key → 401 code 2', async () => {
      for (const apiKey of [null, 'wrong-key']) {
        const r = await raw(sb, '/export_channels', { apiKey, body: { channels: [{ cid: sb.dataset.channels[0].cid }] } });
        expect(r.status).toBe(401);
        expectErrorBody(r.json, 401, 2);
        expect(r.json.message).toMatch(/^ExportChannels failed with error: "api_key/);
        expectRateHeaders(r.headers);
      }
      await expect(sdk(sb, { key: 'nope' }).getRateLimits({})).rejects.toMatchObject({ status: 401, code: 2 });
    });

    it('missing stream-auth-type → 401', async () => {
      const r = await raw(sb, '/tasks/x', { authType: null });
      expect(r.status).toBe(401);
      expect(r.json.message).toContain('stream-auth-type missing or invalid');
      const anon = await raw(sb, '/tasks/x', { authType: 'anonymous' });
      expect(anon.status).toBe(401);
    });

    it('bad signature → 401 code 43 with the documented text', async () => {
      const err = await sdk(sb, { secret: 'not-the-secret' }).exportChannels([{ cid: sb.dataset.channels[0].cid } as never]).catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.code).toBe(43);
      expect(err.message).toContain(`JWTAuth error: signature is not valid. Make sure the token is created using the secret for API key "${sb.apiKey}"`);
      const bearer = await raw(sb, '/tasks/x', { token: `Bearer ${signJwt({ server: true }, sb.apiSecret)}` });
      expect(bearer.status).toBe(401);
      const none = await raw(sb, '/tasks/x', { token: null });
      expect(none.status).toBe(401);
    });

    it('honours exp (code 40), nbf (41), iat (42) and accepts extra claims', async () => {
      const now = Math.floor(clock.now() / 1000);
      const expired = await raw(sb, '/rate_limits', { token: signJwt({ server: true, exp: now - 1 }, sb.apiSecret) });
      expect(expired.status).toBe(401);
      expectErrorBody(expired.json, 401, 40);
      expect(expired.json.message).toBe('GetRateLimits failed with error: "JWTAuth error: token is expired (exp)"');
      expect((await raw(sb, '/rate_limits', { token: signJwt({ server: true, nbf: now + 600 }, sb.apiSecret) })).json.code).toBe(41);
      expect((await raw(sb, '/rate_limits', { token: signJwt({ server: true, iat: now + 600 }, sb.apiSecret) })).json.code).toBe(42);
      const extra = await raw(sb, '/rate_limits', { token: signJwt({ server: true, iat: now - 60, exp: now + 600, iss: 'java-sdk', sub: 'server' }, sb.apiSecret) });
      expect(extra.status).toBe(200);
    });

    it('user tokens are refused on export endpoints (403 code 17) but may query channels', async () => {
      const userToken = signJwt({ user_id: sb.dataset.users[0].id }, sb.apiSecret);
      const r = await raw(sb, '/export_channels', { token: userToken, body: { channels: [{ cid: sb.dataset.channels[0].cid }] } });
      expect(r.status).toBe(403);
      expectErrorBody(r.json, 403, 17);
      expect(r.json.message).toBe('ExportChannels failed with error: "channels can only be exported server side"');
      const u = await raw(sb, '/export/users', { token: userToken, body: { user_ids: [sb.dataset.users[0].id] } });
      expect(u.json.message).toContain('users can only be exported server side');
      const q = await raw(sb, '/channels', { token: userToken, body: { filter_conditions: {}, limit: 1 } });
      expect(q.status).toBe(201);
    });

    it('a suspended app gets 403 code 99', async () => {
      sb.control.suspend(true);
      try {
        const r = await raw(sb, '/rate_limits');
        expect(r.status).toBe(403);
        expectErrorBody(r.json, 403, 99);
      } finally {
        sb.control.suspend(false);
      }
    });
  });

  describe('QueryChannels and QueryUsers', () => {
    it('filters on type, cid, members, name and times, sorts, and pages', async () => {
      const live = sb.dataset.channels.filter((c) => !c.deleted_at);
      const team = await client.queryChannelsRequest({ type: 'team' }, [{ created_at: 1 }], { limit: 30, message_limit: 0 });
      expect(team.map((s) => s.channel.cid)).toEqual(
        live.filter((c) => c.type === 'team').sort((a, b) => a.created_at.localeCompare(b.created_at) || a.cid.localeCompare(b.cid)).map((c) => c.cid).slice(0, 30),
      );
      const two = live.slice(0, 2).map((c) => c.cid);
      const byCid = await client.queryChannelsRequest({ cid: { $in: two } }, [], { message_limit: 0 });
      expect(byCid.map((s) => s.channel.cid).sort()).toEqual([...two].sort());
      const member = sb.dataset.members(live[0].cid)[0].user_id;
      const mine = await client.queryChannelsRequest({ members: { $in: [member] } }, [], { limit: 30, message_limit: 0 });
      expect(mine.length).toBeGreaterThan(0);
      for (const s of mine) expect(sb.dataset.members(s.channel.cid).some((m) => m.user_id === member)).toBe(true);
      const named = live.find((c) => c.name)!;
      const byName = await client.queryChannelsRequest({ name: named.name! }, [], { limit: 30, message_limit: 0 });
      expect(byName.every((s) => (s.channel as unknown as Record<string, unknown>).name === named.name)).toBe(true);
      const mid = [...live].sort((a, b) => a.created_at.localeCompare(b.created_at))[10].created_at;
      const after = await client.queryChannelsRequest({ created_at: { $gte: mid } }, [{ created_at: 1 }], { limit: 30, message_limit: 0 });
      expect(after[0].channel.created_at).toBe(mid);
      const before = await client.queryChannelsRequest({ created_at: { $lt: mid } }, [], { limit: 30, message_limit: 0 });
      expect(before.length).toBe(10);
      const recent = await client.queryChannelsRequest({ last_message_at: { $gt: '2025-06-01T00:00:00Z' } }, [{ last_message_at: -1 }], { limit: 30, message_limit: 0 });
      for (let i = 1; i < recent.length; i++) expect(recent[i - 1].channel.last_message_at! >= recent[i].channel.last_message_at!).toBe(true);
      // Paging is stable: two pages of 10 equal one of 20.
      const p1 = await client.queryChannelsRequest({}, [{ created_at: 1 }], { limit: 10, offset: 0, message_limit: 0 });
      const p2 = await client.queryChannelsRequest({}, [{ created_at: 1 }], { limit: 10, offset: 10, message_limit: 0 });
      const p12 = await client.queryChannelsRequest({}, [{ created_at: 1 }], { limit: 20, offset: 0, message_limit: 0 });
      expect([...p1, ...p2].map((s) => s.channel.cid)).toEqual(p12.map((s) => s.channel.cid));
      // Soft-deleted channels are not returned.
      const all = await client.queryChannelsRequest({}, [], { limit: 30, offset: 30, message_limit: 0 });
      expect(30 + all.length).toBe(live.length);
    });

    it('returns channel state with members, messages and reads', async () => {
      const cid = sb.dataset.channels[0].cid;
      const [state] = await client.queryChannelsRequest({ cid }, [], { message_limit: 5, member_limit: 3 });
      expect(state.channel.cid).toBe(cid);
      expect(state.messages.length).toBeLessThanOrEqual(5);
      expect(state.members.length).toBeLessThanOrEqual(3);
      expect(Array.isArray(state.read)).toBe(true);
    });

    it('enforces limit ≤ 30 and offset ≤ 1000 with 400 code 4', async () => {
      const big = await client.queryChannelsRequest({}, [], { limit: 31 }).catch((e) => e);
      expect(big.status).toBe(400);
      expect(big.code).toBe(4);
      expect(big.message).toContain('QueryChannels failed with error: "limit must be 30 or less"');
      const far = await client.queryChannelsRequest({}, [], { offset: 1001 }).catch((e) => e);
      expect(far.code).toBe(4);
      const badOp = await client.queryChannelsRequest({ type: { $regex: 'x' } } as never, []).catch((e) => e);
      expect(badOp.code).toBe(4);
    });

    it('QueryUsers reads the payload query param', async () => {
      const ids = sb.dataset.users.slice(0, 3).map((u) => u.id);
      const res = await client.queryUsers({ id: { $in: ids } }, { id: 1 }, { limit: 10 });
      expect(res.users.map((u) => u.id)).toEqual([...ids].sort());
      const page = await client.queryUsers({ id: { $gt: ids.sort()[0] } }, { id: 1 }, { limit: 5 });
      expect(page.users).toHaveLength(5);
      const tooMany = await client.queryUsers({}, {}, { limit: 101 }).catch((e) => e);
      expect(tooMany.code).toBe(4);
      const r = await raw(sb, '/users', { query: { payload: '{not json' } });
      expect(r.status).toBe(400);
      expectRateHeaders(r.headers);
    });
  });

  describe('exports, tasks and files', () => {
    it('ExportChannels → 201 task → pending/running/completed with a signed URL', async () => {
      const cid = sb.dataset.channels[0].cid;
      const r = await raw(sb, '/export_channels', { body: { channels: [{ cid }], version: 'v2' } });
      expect(r.status).toBe(201);
      expect(r.json.task_id).toMatch(UUID_V4);
      expect(r.json.duration).toMatch(/ms$/);
      expectRateHeaders(r.headers);
      const early = await client.getExportChannelStatus(r.json.task_id);
      expect(['pending', 'running']).toContain((early as Record<string, unknown>).status);
      expect(early.result).toBeUndefined();
      expect('error' in early).toBe(false);
      const { st, seen } = await untilCompleted(client, r.json.task_id);
      expect(seen.at(-1)).toBe('completed');
      expect(st.result.url).toMatch(/\/exports\/channels\//);
      expect('error' in st).toBe(false);
      expect(st.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
      const viaTask = (await client.getTask(r.json.task_id)) as Record<string, any>;
      expect(viaTask.status).toBe('completed');
      expect(viaTask.result.url).toMatch(/\/exports\/channels\//);
      const dl = await fetch(st.result.url);
      expect(dl.status).toBe(200);
      const lines = (await dl.text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.type === 'channel').map((l) => l.data.cid)).toEqual([cid]);
      expect(lines.filter((l) => l.type === 'message').length).toBe(sb.dataset.messageCount(cid));
    });

    it('accepts type+id, null and millisecond dates; honours v1 and per-channel windows', async () => {
      const ch = sb.dataset.channels[1];
      const msgs = [...sb.dataset.messages(ch.cid)];
      const since = new Date(Date.parse(msgs[Math.floor(msgs.length / 2)].created_at)).toISOString(); // ms precision, like the JS SDK
      const res = await client.exportChannels([{ type: ch.type, id: ch.id, messages_since: since, messages_until: null } as never], { version: 'v1' });
      const { st } = await untilCompleted(client, res.task_id);
      const doc = await (await fetch(st.result.url)).json();
      expect(Array.isArray(doc)).toBe(true);
      expect(Object.keys(doc[0])).toEqual(['channel', 'messages', 'members']);
      expect(doc[0].messages.length).toBe(msgs.filter((m) => Date.parse(m.created_at) >= Date.parse(since)).length);
    });

    it('validates: 1..25 channels, cid or type+id, version, dates; unknown channel is synchronous', async () => {
      const cids = sb.dataset.channels.slice(0, 26).map((c) => ({ cid: c.cid }));
      const tooMany = await raw(sb, '/export_channels', { body: { channels: cids } });
      expect(tooMany.status).toBe(400);
      expectErrorBody(tooMany.json, 400, 4);
      expect(tooMany.json.message).toMatch(/^ExportChannels failed with error: ".*at most 25.*"$/);
      expect(tooMany.json.exception_fields).toHaveProperty('channels');
      expectRateHeaders(tooMany.headers);
      for (const body of [{ channels: [] }, {}, { channels: [{ type: 'messaging' }] }, { channels: [{ cid: cids[0].cid }], version: 'v3' }, { channels: [{ cid: cids[0].cid, messages_since: 'yesterday' }] }]) {
        const r = await raw(sb, '/export_channels', { body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.json.code).toBe(4);
      }
      const unknown = await client.exportChannels([{ cid: 'messaging:does-not-exist' }]).catch((e) => e);
      expect(unknown.status).toBe(400);
      expect(unknown.message).toContain("Can't find channel with id messaging:does-not-exist");
    });

    it('unknown task ids give Can\'t find task with id "<id>" on both status routes', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      for (const p of [`/export_channels/${id}`, `/tasks/${id}`]) {
        const r = await raw(sb, p);
        expect(r.status).toBe(404);
        expectErrorBody(r.json, 404, 16);
        expect(r.json.message).toContain(`Can't find task with id "${id}"`);
      }
      const err = await client.getTask(id).catch((e) => e);
      expect(err.message).toContain(`"Can't find task with id "${id}""`);
    });

    it('ExportUsers: 1..25 users, /exports/users/ URL, user line then messages then reactions', async () => {
      const ids = sb.dataset.users.map((u) => u.id);
      const tooMany = await client.exportUsers({ user_ids: ids.slice(0, 26) }).catch((e) => e);
      expect(tooMany.status).toBe(400);
      expect(tooMany.message).toContain('ExportUsers failed with error:');
      const res = await client.exportUsers({ user_ids: [ids[0]] });
      expect(res.task_id).toMatch(UUID_V4);
      const { st } = await untilCompleted(client, res.task_id, 'users');
      expect(st.result.url).toContain('/exports/users/');
      const lines = (await (await fetch(st.result.url)).text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ type: 'user', data: { id: ids[0] } });
      const exportStatus = await client.getExportChannelStatus(res.task_id).catch((e) => e);
      expect(exportStatus.status).toBe(404); // the export-channels route only knows channel tasks
    });

    it('the synchronous GDPR export returns user, messages and reactions', async () => {
      const user = sb.dataset.users[1];
      const res = (await client.exportUser(user.id)) as unknown as { user: { id: string }; messages: { user: unknown }[]; reactions: unknown[]; duration: string };
      expect(res.user.id).toBe(user.id);
      expect(Array.isArray(res.messages)).toBe(true);
      for (const m of res.messages) expect(m.user).toBeNull();
    });

    it('mints a fresh URL on every status call; expired and tampered URLs are refused like S3', async () => {
      const res = await client.exportChannels([{ cid: sb.dataset.channels[2].cid }], { version: 'v2' });
      const { st } = await untilCompleted(client, res.task_id);
      const url1 = new URL(st.result.url);
      expect(Number(url1.searchParams.get('expires'))).toBe(Math.floor((clock.now() + 24 * 3600_000) / 1000));
      clock.advance(5000);
      const url2 = new URL(((await client.getExportChannelStatus(res.task_id)) as Record<string, any>).result.url);
      expect(url2.searchParams.get('expires')).not.toBe(url1.searchParams.get('expires'));
      expect((await fetch(url1)).status).toBe(200);

      const tampered = new URL(url2);
      tampered.searchParams.set('expires', String(Number(url2.searchParams.get('expires')) + 3600));
      const t = await fetch(tampered);
      expect(t.status).toBe(403);
      expect(t.headers.get('content-type')).toBe('application/xml');
      expect(await t.text()).toMatch(/<Error><Code>SignatureDoesNotMatch<\/Code>/);
      const nosig = new URL(url2);
      nosig.searchParams.delete('sig');
      expect((await fetch(nosig)).status).toBe(403);

      clock.advance(24 * 3600_000);
      const expired = await fetch(url2);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
      const fresh = ((await client.getExportChannelStatus(res.task_id)) as Record<string, any>).result.url;
      expect((await fetch(fresh)).status).toBe(200);

      // Kept 60 days, then gone.
      clock.advance(60 * 86_400_000);
      const gone = ((await client.getExportChannelStatus(res.task_id)) as Record<string, any>).result.url;
      const g = await fetch(gone);
      expect(g.status).toBe(404);
      expect(await g.text()).toContain('<Code>NoSuchKey</Code>');
    });

    it('serves byte ranges (resumable downloads) with an ETag', async () => {
      const res = await client.exportChannels([{ cid: sb.dataset.channels[3].cid }], { version: 'v2' });
      const { st } = await untilCompleted(client, res.task_id);
      const full = Buffer.from(await (await fetch(st.result.url)).arrayBuffer());
      const part = await fetch(st.result.url, { headers: { range: 'bytes=100-' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-${full.length - 1}/${full.length}`);
      expect(part.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(full.subarray(100));
      const bad = await fetch(st.result.url, { headers: { range: `bytes=${full.length + 5}-` } });
      expect(bad.status).toBe(416);
    });

    it('serves the /api/v2 aliases', async () => {
      const r = await raw(sb, '/api/v2/chat/export_channels', { body: { channels: [{ cid: sb.dataset.channels[0].cid }] } });
      expect(r.status).toBe(201);
      const t = await raw(sb, `/api/v2/tasks/${r.json.task_id}`);
      expect(t.status).toBe(200);
      expect(t.json.task_id).toBe(r.json.task_id);
    });

    it('applies data mutations made while running (incremental backups)', async () => {
      const cid = sb.dataset.channels[0].cid;
      const before = sb.dataset.messageCount(cid);
      const added = sb.control.addMessages(cid, 4);
      const [editId] = sb.dataset.pickMessageIds(cid, 1);
      sb.control.editMessage(cid, editId, 'revised wording');
      const ch = sb.control.addChannel({ messages: 12, name: 'Late channel' });
      const listed = await client.queryChannelsRequest({ cid: ch.cid }, [], { message_limit: 0 });
      expect(listed).toHaveLength(1);
      const exp = await client.exportChannels([{ cid, messages_since: added[0].created_at } as never, { cid: ch.cid } as never], { version: 'v2' });
      const { st } = await untilCompleted(client, exp.task_id);
      const lines = (await (await fetch(st.result.url)).text()).trim().split('\n').map((l) => JSON.parse(l));
      const msgs = lines.filter((l) => l.type === 'message').map((l) => l.data);
      expect(msgs.filter((m) => m.cid === cid).map((m) => m.id)).toEqual(added.map((m) => m.id));
      expect(msgs.filter((m) => m.cid === ch.cid)).toHaveLength(12);
      expect(sb.dataset.messageCount(cid)).toBe(before + 4);
      const edited = [...sb.dataset.messages(cid)].find((m) => m.id === editId)!;
      expect(edited.text).toBe('revised wording');
      expect(edited.message_text_updated_at).toBeTruthy();
    });
  });
});

describe('sandbox rate limits (spec §4.2)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ messages: 300, channels: 6, users: 12, latency: { pendingMs: 10, runningMs: 10 } }); // real windows: 60 s, 1 s bursts
  });
  afterAll(() => sb?.close());

  it('sends X-RateLimit-* on every response and answers 429 code 9 beyond the burst', async () => {
    expect(sb.control.rateLimit('ExportChannels')).toMatchObject({ limit: 60, burst: 2 });
    // Align to the start of a burst window so three requests land in the same one.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const body = { channels: [{ cid: sb.dataset.channels[0].cid }] };
    const a = await raw(sb, '/export_channels', { body });
    const b = await raw(sb, '/export_channels', { body });
    const c = await raw(sb, '/export_channels', { body });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 429]);
    expect(Number(a.headers.get('x-ratelimit-remaining'))).toBe(59);
    expect(Number(b.headers.get('x-ratelimit-remaining'))).toBe(58);
    expect(c.headers.get('x-ratelimit-remaining')).toBe('0');
    expectErrorBody(c.json, 429, 9);
    expect(c.json.message).toMatch(/^ExportChannels failed with error: "Too many requests/);
    expect(Number(c.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now() - 1000);
    expect(sb.control.stats().violations.ExportChannels).toBe(1);
    // Per endpoint: ExportUsers has its own budget.
    const u = await raw(sb, '/export/users', { body: { user_ids: [sb.dataset.users[0].id] } });
    expect(u.status).toBe(201);
    // The SDK surfaces it as code 9 with the headers available.
    const d = await sdk(sb).exportChannels([{ cid: sb.dataset.channels[0].cid }]).catch((e) => e);
    if (d instanceof Error) {
      expect((d as unknown as { code: number }).code).toBe(9);
      expect((d as unknown as { response: { headers: Record<string, string> } }).response.headers['x-ratelimit-limit']).toBe('60');
    }
  });

  it('the minute limit is configurable', async () => {
    sb.control.setRateLimit('GetRateLimits', { limit: 3, burst: 10 });
    sb.control.resetStats();
    // Stay clear of a minute boundary so the four requests share one window.
    if (60_000 - (Date.now() % 60_000) < 3000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 5));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await raw(sb, '/rate_limits')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(sb.control.stats().totalViolations).toBe(1);
  });
});

describe('sandbox faults', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ messages: 2000, channels: 8, users: 20, latency: { pendingMs: 10, runningMs: 10 } });
  });
  afterAll(() => sb?.close());

  it('parses spec strings', () => {
    expect(parseFaults('429:for=5s:endpoints=ExportChannels|GetTask, 5xx:rate=0.5;status=503, drop:count=1:bytes=10')).toEqual([
      { kind: '429', forMs: 5000, endpoints: ['ExportChannels', 'GetTask'] },
      { kind: '5xx', rate: 0.5, status: 503 },
      { kind: 'drop', count: 1, bytes: 10 },
    ]);
    expect(() => parseFaults('explode')).toThrow(/unknown fault/);
    expect(() => parseFaults('429:for=soon')).toThrow(/duration/);
  });

  it('429 storms, JSON and edge-style non-JSON', async () => {
    const c = sdk(sb);
    sb.control.addFaults('429:count=1,429:count=1:json=false');
    const e1 = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }]).catch((e) => e);
    expect(e1.status).toBe(429);
    expect(e1.code).toBe(9);
    await new Promise((r) => setTimeout(r, 600));
    const e2 = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }]).catch((e) => e);
    expect(e2.status).toBe(429);
    expect(e2.message).toBe('StreamChat error HTTP code: 429');
    await new Promise((r) => setTimeout(r, 600));
    expect((await c.exportChannels([{ cid: sb.dataset.channels[0].cid }])).task_id).toMatch(UUID_V4);
    sb.control.addFaults({ kind: '429', forMs: 800 });
    await new Promise((r) => setTimeout(r, 600));
    const storm = await raw(sb, '/export/users', { body: { user_ids: [sb.dataset.users[0].id] } });
    expect(storm.status).toBe(429);
    expect(Number(storm.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThanOrEqual(Date.now());
    expect(sb.control.stats().faults['429']).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 400));
    sb.control.clearFaults();
  });

  it('5xx, slow responses (client timeout) and hung-up connections', async () => {
    sb.control.addFaults('5xx:count=1:status=503:endpoints=GetRateLimits,5xx:count=1:status=502:endpoints=GetRateLimits');
    const c = sdk(sb);
    const e503 = await c.getRateLimits({}).catch((e) => e);
    expect(e503.status).toBe(503);
    expect(e503.code).toBe(-1);
    const e502 = await c.getRateLimits({}).catch((e) => e);
    expect(e502.status).toBe(502);
    expect(e502.message).toBe('StreamChat error HTTP code: 502');
    sb.control.addFaults('slow:count=1:delay=800ms:endpoints=GetRateLimits');
    const slow = await sdk(sb, { timeout: 200 }).getRateLimits({}).catch((e) => e);
    expect(slow.code).toBe('ECONNABORTED');
    sb.control.addFaults('hangup:count=1:endpoints=GetRateLimits');
    const hung = await c.getRateLimits({}).catch((e) => e);
    expect(hung.response).toBeUndefined();
    expect(String(hung.code ?? hung.message)).toMatch(/ECONNRESET|socket hang up/);
    expect(await c.getRateLimits({})).toHaveProperty('server_side');
  });

  it('failed tasks carry an error and no result', async () => {
    sb.control.addFaults('fail-task:count=1');
    const c = sdk(sb);
    const res = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }]);
    const { st } = await untilCompleted(c, res.task_id);
    expect(st.status).toBe('failed');
    expect(st.result).toBeUndefined();
    expect(st.error).toMatchObject({ type: 'internal_error' });
    expect(typeof st.error.description).toBe('string');
  });

  it('drops connections mid-download, truncates bodies and expires URLs early', async () => {
    const c = sdk(sb);
    const res = await c.exportChannels([{ cid: sb.dataset.channels[0].cid }], { version: 'v2' });
    const { st } = await untilCompleted(c, res.task_id);
    const full = Buffer.from(await (await fetch(st.result.url)).arrayBuffer());
    expect(full.length).toBeGreaterThan(10_000);

    sb.control.addFaults('drop:count=1:bytes=5000');
    const dropped = await fetch(st.result.url);
    expect(dropped.headers.get('content-length')).toBe(String(full.length));
    await expect(dropped.arrayBuffer()).rejects.toThrow();

    sb.control.addFaults('truncate:count=1:fraction=0.5');
    const truncated = await fetch(st.result.url);
    expect(truncated.headers.get('content-length')).toBeNull();
    const body = Buffer.from(await truncated.arrayBuffer());
    expect(body.length).toBe(Math.floor(full.length * 0.5));
    expect(body).toEqual(full.subarray(0, body.length));

    sb.control.addFaults('expire:count=1:ttl=1s');
    const short = ((await c.getExportChannelStatus(res.task_id)) as Record<string, any>).result.url;
    expect(Number(new URL(short).searchParams.get('expires')) * 1000 - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(short)).status).toBe(403);
    const again = ((await c.getExportChannelStatus(res.task_id)) as Record<string, any>).result.url;
    expect((await fetch(again)).status).toBe(200);
  });
});

describe('archivist sandbox (CLI)', () => {
  it('prints base URL, key and secret as JSON and stops on SIGINT', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const child = spawn(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'bin/archivist.js'), 'sandbox', '--json', '--messages', '300', '--seed', '9'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const info = await new Promise<Record<string, any>>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        try {
          resolve(JSON.parse(out));
        } catch {
          /* incomplete */
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(info.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.messages).toBe(300);
    const c = new StreamChat(info.apiKey, info.apiSecret, { baseURL: info.baseURL, browser: false });
    expect((await c.queryChannelsRequest({}, [], { limit: 1, message_limit: 0 })).length).toBe(1);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c2) => resolve(c2));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });
});
